import EventLog
import Foundation
import Projections
import Services
import Synchronization

/// Everything `tape serve` runs in one process: the log, the projection runners, and the
/// HTTP/WebSocket gateway answering from the projections.
///
/// Built and started on the main thread; the runners and event loops own their threads.
public final class TapeServer: Sendable {
    /// What the server needs to start; `tape serve` fills it from flags, environment and file.
    public struct Settings: Sendable {
        public var dataDirectory = "data"
        public var host = "127.0.0.1"
        public var port = 8080
        public var loopCount = ProcessInfo.processInfo.activeProcessorCount
        public var durability = Durability.always
        public var segmentSize: Int64 = 64 << 20
        /// When false, reads of market data need a key too.
        public var allowsPublicReads = true
        /// The bootstrap admin key (compared in constant time; never logged).
        public var adminKey: String?
        public init() {}
    }

    public let settings: Settings
    public let log: EventLog
    public let catalog: InstrumentCatalog
    public let users: UsersProjection
    public let metrics = Metrics()
    /// Serializes commands that append (and hands out ids); never an event loop.
    let commands = DispatchQueue(label: "tape.commands")
    /// Ids handed out but perhaps not yet folded by the users projection.
    let ids = Locked(IssuedIDs())

    struct IssuedIDs {
        var user: UInt64 = 0
        var key: UInt64 = 0
        var createdUsers: Set<UInt64> = []
    }
    let catalogRunner: ProjectionRunner
    let usersRunner: ProjectionRunner
    private let http: HTTPServer
    private let started: Timestamp

    /// Opens the log (taking the writer lock) and the projections; starts nothing yet.
    public init(settings: Settings, extraRoutes: (inout Router, TapeServer) -> Void = { _, _ in }) throws {
        self.settings = settings
        log = try EventLog(directory: settings.dataDirectory + "/log",
                           options: LogOptions(segmentSize: settings.segmentSize, durability: settings.durability))
        catalog = InstrumentCatalog()
        catalogRunner = ProjectionRunner(projection: catalog, log: try log.makeReader(),
                                         databasePath: settings.dataDirectory + "/projections.sqlite")
        users = UsersProjection()
        usersRunner = ProjectionRunner(projection: users, log: try log.makeReader(),
                                       databasePath: settings.dataDirectory + "/projections.sqlite")
        started = Timestamp.now()

        var configuration = HTTPServer.Configuration()
        configuration.host = settings.host
        configuration.port = settings.port
        configuration.loopCount = settings.loopCount
        // Routes read `self` (health reads the runners), so the router is built once every
        // stored property is set and installed in the forwarding responder before start.
        http = HTTPServer(configuration: configuration, responder: responder)
        var router = Router()
        var document = OpenAPIDocument()
        router.use(RequestIDMiddleware())
        let metrics = self.metrics
        router.use(AccessLogMiddleware { metrics.record($0) })
        registerOperations(on: &router)
        registerUserRoutes(on: &router)
        registerInstrumentCommands(on: &router)
        let instruments = InstrumentsAPI(catalog: catalog, today: { CalendarDay(containing: Timestamp.now()) })
        if settings.allowsPublicReads {
            instruments.register(on: &router, describingIn: &document)
        } else {
            router.group(middleware: [AuthMiddleware { [unowned self] request throws(HTTPError) in try self.authenticate(request) }]) {
                instruments.register(on: &$0, describingIn: &document, access: .anyValidKey)
            }
        }
        Self.describeRoutes(in: &document)
        document.register(on: &router)
        extraRoutes(&router, self)
        responder.install(router.makeResponder())
    }

    private let responder = ForwardingResponder()

    /// Imports the demo instrument master when the log is empty: the expired contracts first,
    /// then the day's master, so the catalog starts with real delistings.
    public func importDemoInstrumentsIfEmpty() throws -> [InstrumentImporter.Outcome] {
        guard log.acceptedEnd == 0 else { return [] }
        let fixture = InstrumentFixture.generate(seed: 1)
        let importer = InstrumentImporter(log: log, catalog: catalog, runner: catalogRunner)
        return try [fixture.expired, fixture.active].map { instruments in
            let rows = instruments.enumerated().map { KiteInstrumentCSV.Row(line: $0.offset + 2, instrument: $0.element) }
            return try importer.run(KiteInstrumentCSV.ParseResult(rows: rows, errors: []), exchanges: nil, at: Timestamp.now())
        }
    }

    /// Catches the projections up, starts their live tails, then starts listening.
    public func start() throws {
        for runner in runners { try runner.catchUp() }
        for runner in runners { runner.start() }
        try http.start()
    }

    private var runners: [ProjectionRunner] { [catalogRunner, usersRunner] }

    /// Creates a demo user and issues it a key; the plaintext is returned once and stored nowhere.
    public func issueDemoKey() throws -> String {
        try usersRunner.catchUp()
        let snapshot = users.snapshot
        let userID = snapshot.allUsers.first { $0.name == "demo" }?.userID ?? snapshot.nextUserID
        var records: [Record] = []
        if snapshot.user(id: userID) == nil {
            records.append(Record(time: Timestamp.now(), event: UserCommands.makeUser(name: "demo", isAdmin: false, nextID: userID)))
        }
        var rng = SystemRandomNumberGenerator()
        let (plaintext, event) = UserCommands.issueKey(for: userID, label: "demo", nextKeyID: snapshot.nextKeyID, rng: &rng)
        records.append(Record(time: Timestamp.now(), event: event))
        try log.append(records)
        try usersRunner.catchUp()
        return plaintext
    }

    /// The principal label a request's key names (`admin` or `user:<id>`), for `AuthMiddleware`.
    public func authenticate(_ request: HTTPRequest) throws(HTTPError) -> String {
        switch try caller(of: request) {
        case .admin: "admin"
        case .user(let principal): "user:\(principal.userID)"
        }
    }

    /// The port bound (useful with port 0).
    public var port: Int? { http.port }

    /// Stops accepting, finishes in-flight requests within the grace period, stops the
    /// runners and closes the log (a final fdatasync).
    public func stop(gracePeriod: Duration = .seconds(10)) {
        http.stop(gracePeriod: gracePeriod)
        for runner in runners { runner.stop() }
        try? log.close()
    }

    /// The key a request carries, from the first of `X-API-Key`, `Authorization: Bearer`, `?api_key=`.
    func apiKey(in request: HTTPRequest) -> String? {
        if let key = request.headers["X-API-Key"] { return key }
        if let authorization = request.headers["Authorization"], authorization.hasPrefix("Bearer ") {
            return String(authorization.dropFirst(7))
        }
        return request.queryValue(QueryParameters.apiKeyName)
    }

    // MARK: health and metrics

    /// `ok`, `degraded` (served, but something needs a look) or `down` (cannot serve correctly).
    public func health() -> (status: String, json: [UInt8]) {
        let projections = runners.map(\.health)
        let logFailure = log.failure
        var status = "ok"
        for projection in projections {
            if case .failed = projection.state { status = "down" }
            if status == "ok", case .catchingUp = projection.state { status = "degraded" }
        }
        if logFailure != nil { status = "down" }

        var j = JSONText()
        j.beginObject()
        j.key("status"); j.value(status)
        j.key("components"); j.beginObject()
        j.key("log"); j.beginObject()
        j.key("status"); j.value(logFailure == nil ? "ok" : "down")
        j.key("accepted_end"); j.value(log.acceptedEnd)
        j.key("durable_end"); j.value(log.durableEnd)
        j.key("durability"); j.value(log.options.durability.description)
        j.key("disk_free_bytes"); j.value(diskFreeBytes())
        if let logFailure { j.key("error"); j.value(logFailure.description) }
        j.endObject()
        j.key("projections"); j.beginObject()
        for h in projections {
            j.key(dynamic: h.name); j.beginObject()
            j.key("version"); j.value(h.version)
            j.key("state"); j.value(Self.stateName(h.state))
            j.key("next_offset"); j.value(h.nextOffset)
            j.key("lag_events"); j.value(h.lagEvents)
            j.key("lag_seconds"); j.value(h.lagSeconds)
            if case .failed(let failure) = h.state { j.key("error"); j.value(String(describing: failure)) }
            j.endObject()
        }
        j.endObject()
        j.endObject()
        j.key("uptime_seconds"); j.value(Double(Timestamp.now().rawValue - started.rawValue) / 1e9)
        j.endObject()
        return (status, j.bytes)
    }

    static func stateName(_ state: ProjectionHealth.State) -> String {
        switch state {
        case .catchingUp: "catching_up"
        case .live: "live"
        case .stopped: "stopped"
        case .failed: "failed"
        }
    }

    private func diskFreeBytes() -> Int64 {
        var s = statvfs()
        guard statvfs(settings.dataDirectory, &s) == 0 else { return -1 }
        return Int64(s.f_bavail) * Int64(s.f_frsize)
    }

    private func registerOperations(on router: inout Router) {
        router.get("/health") { [unowned self] _, _ in
            let (status, body) = self.health()
            return .json(body, status: status == "down" ? .serviceUnavailable : .ok)
        }
        router.get("/health/live") { _, _ in .json(Array(#"{"status":"ok"}"#.utf8)) }
        router.get("/health/ready") { [unowned self] _, _ in
            let ready = self.log.failure == nil && self.runners.allSatisfy { if case .live = $0.health.state { true } else { false } }
            return .json(Array((ready ? #"{"status":"ready"}"# : #"{"status":"not_ready"}"#).utf8), status: ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { [unowned self] _, _ in
            let lags = self.runners.map(\.health)
            let text = self.metrics.render(extra: [
                ("tape_log_accepted_end", "One past the last offset written.", "gauge", [("", Double(self.log.acceptedEnd))]),
                ("tape_log_durable_end", "One past the last durable offset.", "gauge", [("", Double(self.log.durableEnd))]),
                ("tape_log_appended_bytes_total", "Bytes appended to the log since start.", "counter", [("", Double(self.log.appendedBytes))]),
                ("tape_projection_lag_events", "Events a projection is behind the log.", "gauge", lags.map { ("projection=\"\($0.name)\"", Double($0.lagEvents)) }),
                ("tape_projection_lag_seconds", "Event-time lag of a projection.", "gauge", lags.map { ("projection=\"\($0.name)\"", $0.lagSeconds) }),
                ("process_resident_memory_bytes", "Resident memory.", "gauge", [("", Metrics.residentMemoryBytes())]),
            ])
            var response = HTTPResponse.text(text)
            response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
    }
}

/// A responder installed (once) after the server that calls it was made; usable from any thread.
final class ForwardingResponder: Responder {
    private final class Target: Sendable {
        let responder: any Responder
        init(_ responder: any Responder) { self.responder = responder }
    }

    // Read on every request by every loop: a lock-free reference, not a lock the loops would contend for.
    private let target = AtomicLazyReference<Target>()

    func install(_ responder: any Responder) { _ = target.storeIfNil(Target(responder)) }

    func respond(to request: HTTPRequest, context: RequestContext, reply: Reply) {
        guard let responder = target.load()?.responder else {
            reply.send(HTTPError(.serviceUnavailable, code: "starting", message: "the server is starting"))
            return
        }
        responder.respond(to: request, context: context, reply: reply)
    }
}
