import EventLog
import Foundation
import Projections
import Services

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
        public init() {}
    }

    public let settings: Settings
    public let log: EventLog
    public let catalog: InstrumentCatalog
    public let metrics = Metrics()
    private let catalogRunner: ProjectionRunner
    private let http: HTTPServer
    private let started: Timestamp

    /// Opens the log (taking the writer lock) and the projections; starts nothing yet.
    public init(settings: Settings, extraRoutes: (inout Router, TapeServer) -> Void = { _, _ in }) throws {
        self.settings = settings
        var options = LogOptions(segmentSize: settings.segmentSize, durability: settings.durability)
        options.retention = .off
        log = try EventLog(directory: settings.dataDirectory + "/log", options: options)
        catalog = InstrumentCatalog()
        catalogRunner = ProjectionRunner(projection: catalog, log: try log.makeReader(),
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
        router.use(RequestIDMiddleware())
        let metrics = self.metrics
        router.use(AccessLogMiddleware { metrics.record($0) })
        registerOperations(on: &router)
        InstrumentsAPI(catalog: catalog, today: { CalendarDay(containing: Timestamp.now()) }).register(on: &router)
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
        try catalogRunner.catchUp()
        catalogRunner.start()
        try http.start()
    }

    /// The port bound (useful with port 0).
    public var port: Int? { http.port }

    /// Stops accepting, finishes in-flight requests within the grace period, stops the
    /// runners and closes the log (a final fdatasync).
    public func stop(gracePeriod: Duration = .seconds(10)) {
        http.stop(gracePeriod: gracePeriod)
        catalogRunner.stop()
        try? log.close()
    }

    // MARK: health and metrics

    /// `ok`, `degraded` (served, but something needs a look) or `down` (cannot serve correctly).
    public func health() -> (status: String, json: [UInt8]) {
        let projection = catalogRunner.health
        let logFailure = log.failure
        var status = "ok"
        if case .failed = projection.state { status = "down" }
        if logFailure != nil { status = "down" }
        if status == "ok", case .catchingUp = projection.state { status = "degraded" }

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
        for h in [projection] {
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
            let ready = { if case .live = self.catalogRunner.health.state { return self.log.failure == nil }; return false }()
            return .json(Array((ready ? #"{"status":"ready"}"# : #"{"status":"not_ready"}"#).utf8), status: ready ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { [unowned self] _, _ in
            let h = self.catalogRunner.health
            let text = self.metrics.render(extra: [
                ("tape_log_accepted_end", "One past the last offset written.", "gauge", [("", Double(self.log.acceptedEnd))]),
                ("tape_log_durable_end", "One past the last durable offset.", "gauge", [("", Double(self.log.durableEnd))]),
                ("tape_log_appended_bytes_total", "Bytes appended to the log since start.", "counter", [("", Double(self.log.appendedBytes))]),
                ("tape_projection_lag_events", "Events a projection is behind the log.", "gauge", [("projection=\"\(h.name)\"", Double(h.lagEvents))]),
                ("tape_projection_lag_seconds", "Event-time lag of a projection.", "gauge", [("projection=\"\(h.name)\"", h.lagSeconds)]),
                ("process_resident_memory_bytes", "Resident memory.", "gauge", [("", Metrics.residentMemoryBytes())]),
            ])
            var response = HTTPResponse.text(text)
            response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
    }
}

/// A responder installed after the server that calls it was made; usable from any thread.
final class ForwardingResponder: Responder {
    private let target = Locked<(any Responder)?>(nil)

    func install(_ responder: any Responder) { target.withLock { $0 = responder } }

    func respond(to request: HTTPRequest, context: RequestContext, reply: Reply) {
        guard let responder = target.withLock({ $0 }) else {
            reply.send(HTTPError(.serviceUnavailable, code: "starting", message: "the server is starting"))
            return
        }
        responder.respond(to: request, context: context, reply: reply)
    }
}
