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
        /// Cut a damaged log at its first damage (keeping the cut bytes in `log/damaged/`) instead of refusing to open it.
        public var stopsAtDamage = false
        /// When false, reads of market data need a key too.
        public var allowsPublicReads = true
        /// The bootstrap admin key (compared in constant time; never logged).
        public var adminKey: String?
        /// When false (`TAPE_AUTH=off`), requests without a key act with admin rights.
        public var isAuthEnabled = true
        /// The most bytes queued for one connection (WebSocket sends); a session past it is congested.
        public var outboundQueueBytes = 4 << 20
        /// Makes the tick feed once the log and catalog exist (`FeedSupervisor.make(for:…)`); nil: no feed.
        public var makeFeed: (@Sendable (EventLog, InstrumentCatalog) -> FeedSupervisor?)?
        /// Session limits and timings of the streaming hub.
        public var streaming = StreamHub.Settings()
        public init() {}
    }

    public let settings: Settings
    public let log: EventLog
    public let catalog: InstrumentCatalog
    public let users: UsersProjection
    public let sessions: SessionsProjection
    public let quotes: QuotesProjection
    public let candles: CandlesProjection
    public let signals: SignalsProjection
    /// Pushes ticks to `/ws/v2` and `/ws/kite` sessions; started by `start()`.
    public let hub: StreamHub
    let journal: SessionJournal
    /// The demo key the chart page is pre-filled with (demo mode only).
    let pageKey = Locked<String?>(nil)
    /// The tick feed, if one is configured; supervised (degraded health, backoff), started by `start()`.
    public let feed: FeedSupervisor?
    /// `POST /ticks`: validation, idempotency keys, appends. Its keys are loaded by `start()`.
    let ingest: TickIngestService
    /// The `Idempotency-Key`s of the last day, checkpointed: what `start()` loads `ingest`'s keys from.
    let idempotency: IdempotencyProjection
    let idempotencyRunner: ProjectionRunner
    /// Runs `POST /ticks` (parsing, append, fsync wait) off the event loops.
    let ingestQueue = DispatchQueue(label: "tape.ingest", attributes: .concurrent)
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
    let sessionsRunner: ProjectionRunner
    let quotesRunner: ProjectionRunner
    let candlesRunner: ProjectionRunner
    let signalsRunner: ProjectionRunner
    /// Alert rules and firings (REST reads); the engine evaluates rules and appends the firings.
    public let alerts: AlertsProjection
    let alertsRunner: ProjectionRunner
    public let alertEngine: AlertEngine
    let issuedAlerts = Locked(IssuedAlerts())
    /// The running or last rebuild of each projection (`POST /admin/projections/{name}/rebuild`).
    let rebuilds = Locked<[String: ProjectionRebuild]>([:])
    private let http: HTTPServer
    private let started: Timestamp

    /// Opens the log (taking the writer lock) and the projections; starts nothing yet.
    public init(settings: Settings, extraRoutes: (inout Router, TapeServer) -> Void = { _, _ in }) throws {
        self.settings = settings
        var logOptions = LogOptions(segmentSize: settings.segmentSize, durability: settings.durability)
        logOptions.truncateAtDamage = settings.stopsAtDamage
        log = try EventLog(directory: settings.dataDirectory + "/log", options: logOptions)
        let log = self.log, databasePath = settings.dataDirectory + "/projections.sqlite"
        // Each runner reads the log through its own reader and writes the shared SQLite file on its own connection.
        // Tick-heavy projections commit at most every 250 ms (quotes) or 1 s (candles) while live: far fewer SQLite writes; their
        // readers (REST) see ticks that late at most; WebSocket sessions get ticks from the hub, not from them. Their batches are
        // big enough that an interval's ticks (100,000 a second at full rate) are one transaction, not ten. The others look for
        // rare events among the ticks: they gather 50 ms of log per wake-up instead of waking for every append (the simulated
        // feed appends 200 times a second), and a command waiting for its event to be folded cuts that wait short.
        func runner(_ projection: any Projection, liveCommitInterval: Duration = .milliseconds(50),
                    batchSize: Int = 10_000) throws -> ProjectionRunner {
            ProjectionRunner(projection: projection, log: try log.makeReader(), databasePath: databasePath,
                             batchSize: batchSize, liveCommitInterval: liveCommitInterval)
        }
        catalog = InstrumentCatalog()
        catalogRunner = try runner(catalog)
        users = UsersProjection()
        usersRunner = try runner(users)
        sessions = SessionsProjection()
        sessionsRunner = try runner(sessions)
        quotes = QuotesProjection()
        quotesRunner = try runner(quotes, liveCommitInterval: .milliseconds(250), batchSize: 250_000)
        candles = CandlesProjection()
        candlesRunner = try runner(candles, liveCommitInterval: .seconds(1), batchSize: 250_000)
        signals = SignalsProjection()
        signalsRunner = try runner(signals)
        alerts = AlertsProjection()
        alertsRunner = try runner(alerts)
        idempotency = IdempotencyProjection()
        idempotencyRunner = try runner(idempotency)
        // At full rate a checkpoint every 100,000 entries would encode every rule every second (see the parameter);
        // every 10 s is enough: a restart evaluates at most that much again.
        alertEngine = AlertEngine(log: log, reader: try log.makeReader(), databasePath: databasePath,
                                  liveCheckpointInterval: AlertEngine.serverLiveCheckpointInterval)
        journal = SessionJournal(log: log)
        feed = settings.makeFeed?(log, catalog)
        ingest = TickIngestService(log: log, index: IdempotencyIndex(), instruments: { [catalog] in catalog.snapshot })
        // Offsets and ids are set again in `start()`, once the projections have caught up.
        hub = StreamHub(reader: try log.makeReader(), startOffset: log.durableEnd, firstSessionID: 1, journal: journal,
                        settings: settings.streaming)
        started = Timestamp.now()

        var configuration = HTTPServer.Configuration()
        configuration.host = settings.host
        configuration.port = settings.port
        configuration.loopCount = settings.loopCount
        configuration.outboundQueueBytes = settings.outboundQueueBytes
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
        registerStreaming(on: &router)
        registerTickIngest(on: &router)
        registerAlertRoutes(on: &router)
        registerReplay(on: &router)
        registerRebuildRoutes(on: &router)
        let instruments = InstrumentsAPI(catalog: catalog, today: { CalendarDay(containing: Timestamp.now()) })
        let marketData = MarketDataAPI(quotes: quotes, candles: candles, catalog: catalog)
        let udf = UDFAPI(catalog: catalog, candles: candles, quotes: quotes,
                         marks: { [unowned self] token, from, to, userID in self.chartMarks(token: token, from: from, to: to, userID: userID) },
                         userOf: { [unowned self] request in try? self.caller(of: request).userID })
        // Market-data reads are public unless `TAPE_PUBLIC_READS=off`.
        let access: OpenAPIDocument.Access = settings.allowsPublicReads ? .anyone : .anyValidKey
        let readMiddleware: [any Middleware] = settings.allowsPublicReads ? [] :
            [AuthMiddleware { [unowned self] request throws(HTTPError) in try self.authenticate(request) }]
        router.group(middleware: readMiddleware) { reads in
            instruments.register(on: &reads, describingIn: &document, access: access)
            marketData.register(on: &reads, describingIn: &document, access: access)
            udf.register(on: &reads, describingIn: &document, access: access)
        }
        registerSignalRoutes(on: &router, readMiddleware: readMiddleware)
        router.get("/") { [unowned self] _, _ in
            var response = HTTPResponse(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8"],
                                        body: .bytes(ChartPage.html(demoKey: self.pageKey.withLock { $0 })))
            response.headers.set("Cache-Control", "no-store")
            return response
        }
        Self.describeRoutes(in: &document, readAccess: access)
        document.register(on: &router)
        extraRoutes(&router, self)
        metrics.limitRoutes(to: router.registeredRoutes.map(\.path))
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
        // The keys the projection holds, then the markers past its checkpoint: the log's last day is not read again.
        let now = Timestamp.now()
        let (keys, next) = idempotencyRunner.withProjection { _ in idempotency.keys(at: now) }
        try ingest.index.load(keys, thenScan: try log.makeReader(), from: next, now: now)
        closeOrphanedSessions()
        // The hub folds quotes from where the projection's published book stops.
        let (book, bookEnd) = quotes.publishedBook()
        hub.resume(at: bookEnd, book: book, firstSessionID: sessions.snapshot.maxSessionID + 1)
        for runner in runners { runner.start() }
        pushAlertFirings()
        alertEngine.start()
        hub.start()
        feed?.start()
        try http.start()
    }

    var runners: [ProjectionRunner] {
        [catalogRunner, usersRunner, sessionsRunner, quotesRunner, candlesRunner, signalsRunner, alertsRunner, idempotencyRunner]
    }

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
        pageKey.withLock { $0 = plaintext }
        return plaintext
    }

    /// The principal label a request's key names (`admin` or `user:<id>`), for `AuthMiddleware`.
    public func authenticate(_ request: HTTPRequest) throws(HTTPError) -> String {
        try principalLabel(of: caller(of: request))
    }

    func principalLabel(of caller: Caller) -> String {
        switch caller {
        case .admin: "admin"
        case .user(let principal): "user:\(principal.userID)"
        }
    }

    /// The port bound (useful with port 0).
    public var port: Int? { http.port }

    /// Stops accepting, finishes in-flight requests within the grace period, stops the
    /// runners and closes the log (a final fdatasync).
    public func stop(gracePeriod: Duration = .seconds(10)) {
        feed?.stop()
        http.stop(gracePeriod: gracePeriod)
        hub.stop()
        journal.flush()
        alertEngine.stop()
        // A rebuild restarts its live runner after the swap: let it finish (or cut its build short) first.
        for rebuild in rebuilds.withLock({ Array($0.values) }) { rebuild.cancel() }
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
            if status == "ok", projection.retrying != nil { status = "degraded" }
        }
        if logFailure != nil { status = "down" }
        // A refused append (a full disk) stored nothing and the next may succeed: degraded, not down.
        let appendFailure = logFailure == nil ? log.appendFailure : nil
        if status == "ok", appendFailure != nil { status = "degraded" }
        let feedHealth = feed?.health
        if status == "ok", feedHealth?.state == .degraded { status = "degraded" }
        let streamFailure = hub.failure
        if status == "ok", streamFailure != nil { status = "degraded" }

        var j = JSONText()
        j.beginObject()
        j.key("status"); j.value(status)
        j.key("components"); j.beginObject()
        j.key("log"); j.beginObject()
        j.key("status"); j.value(logFailure != nil ? "down" : appendFailure != nil ? "degraded" : "ok")
        j.key("accepted_end"); j.value(log.acceptedEnd)
        j.key("durable_end"); j.value(log.durableEnd)
        j.key("durability"); j.value(log.options.durability.description)
        j.key("disk_free_bytes"); j.value(diskFreeBytes())
        if let error = logFailure ?? appendFailure { j.key("error"); j.value(error.description) }
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
            else if let retrying = h.retrying { j.key("error"); j.value(retrying) }
            if let rebuild = rebuilds.withLock({ $0[h.name] }) {
                j.key("rebuild"); j.beginObject(); rebuild.status.writeJSON(to: &j); j.endObject()
            }
            j.endObject()
        }
        j.endObject()
        j.key("feeds"); j.beginObject()
        if let feedHealth { j.key(dynamic: feedHealth.feed); feedHealth.writeJSON(to: &j) }
        j.endObject()
        j.key("streaming"); j.beginObject()
        j.key("status"); j.value(streamFailure == nil ? "ok" : "degraded")
        j.key("sessions"); j.value(hub.sessionCount)
        j.key("delivered_end"); j.value(hub.deliveredEnd)
        if let streamFailure { j.key("error"); j.value(streamFailure) }
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
        // The log's directory: it may be a mount of its own, and it is what fills up first.
        guard statvfs(log.directory, &s) == 0 else { return -1 }
        return Int64(s.f_bavail) * Int64(s.f_frsize)
    }

    private func registerOperations(on router: inout Router) {
        router.get("/health") { [unowned self] _, _ in
            let (status, body) = self.health()
            return .json(body, status: status == "down" ? .serviceUnavailable : .ok)
        }
        router.get("/health/live") { _, _ in .json(Array(#"{"status":"ok"}"#.utf8)) }
        router.get("/health/ready") { [unowned self] _, _ in
            let ready = self.log.failure == nil && self.log.appendFailure == nil && self.runners.allSatisfy {
                if case .live = $0.health.state { $0.health.retrying == nil } else { false }
            }
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
            ] + self.streamingMetrics())
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
