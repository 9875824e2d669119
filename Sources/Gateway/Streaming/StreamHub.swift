import EventLog
import Foundation
import Projections

/// Pushes every tick appended to the log to exactly the sessions subscribed to its token.
///
/// One thread tails the log (woken by the writer, no polling) and fans each batch out: a tick is
/// encoded once per protocol and mode, queued on each subscriber, and each subscriber gets one
/// message per batch. A subscriber whose outgoing queue is full is congested: it keeps only the
/// latest tick per token (conflation), and past `patience` it is closed with 1008 — it never
/// slows the tail, other sessions or the ingest path.
///
/// Threads: the tail thread and the event loops (opening, subscribing, closing) share the
/// session tables under `state`'s lock; statistics may be read from any thread.
public final class StreamHub: Sendable {
    /// Limits and timings.
    public struct Settings: Sendable {
        /// Subscriptions one session may hold (KiteTicker's limit).
        public var maxTokensPerSession = 3000
        /// How long a session's queue may stay full before the session is closed with 1008.
        public var patience: Duration = .seconds(2)
        /// How long a tick may wait to be batched with later ones before its session is sent a
        /// message: each session gets at most one message per half interval (plus one whenever
        /// `maxBatchBytes` fill up), which bounds syscalls and wake-ups at any tick rate.
        public var flushInterval: Duration = .milliseconds(12)
        /// Sessions take turns: in each fan-out round only the sessions whose turn it is
        /// (session id modulo `phases`) are sent what they have, once it has waited half of
        /// `flushInterval`. Sessions subscribed to busy tokens all have ticks waiting after every
        /// round; without turns they would fall due in the same round and be sent in one burst,
        /// and the last of a thousand would wait for the other 999.
        public var phases = 3
        /// A session with this many bytes waiting is sent at once.
        public var maxBatchBytes = 256 << 10
        /// How often congested sessions are retried and idle Kite sessions get a heartbeat.
        public var housekeepingInterval: Duration = .milliseconds(100)
        /// Heartbeat period of idle sessions whose protocol has one.
        public var heartbeatInterval: Duration = .seconds(1)
        /// Log entries read per fan-out round.
        public var readBatch = 8192
        /// A read of the log that returns this many entries or more means the tail is behind: its
        /// messages then go through the connections' queues, and the event loops write them.
        public var behindAt = 2048
        public init() {}
    }

    /// Protocols × modes: the size of the per-tick fragment cache.
    static let encodingSlots = 2

    public let settings: Settings
    /// `settings`' times in `MonotonicTime` nanoseconds, the hub's clock.
    private let flushNanos, patienceNanos, housekeepingNanos, heartbeatNanos: UInt64
    private let reader: LogReader
    private let journal: SessionJournal
    private let state: Locked<State>
    private let control = Monitor<Control>(Control())

    struct State: @unchecked Sendable {
        var sessions: [UInt64: StreamSession] = [:]
        /// Per token, who gets its ticks and in which fragment-cache slot (protocol × mode).
        var subscribers: [UInt32: [Subscriber]] = [:]
        /// Sessions with ticks waiting, each once.
        var waiting: [StreamSession] = []
        /// The quotes fold, the same one the `quotes` projection runs: snapshots and quote fields.
        var book = QuoteBook()
        var nextSessionID: UInt64
        /// The next log offset to deliver.
        var nextOffset: UInt64
        var totals = Totals()
        var failure: String?
        /// Each token's forming one-minute bar, for the `candle` messages of `/ws/v2` sessions.
        var candles = CandleCloser()
        /// `/ws/v2` sessions replaying history now (they are not in `sessions`).
        var replays = 0
        /// Fan-out rounds since start: whose turn it is (`Settings.phases`).
        var round: UInt64 = 0
        /// Whether the last read of the log returned `behindAt` entries or more: the tail is behind, and
        /// messages go through the connections' queues, so that the event loops' threads share
        /// the writing instead of the tail doing it all (see `flush`).
        var isBehind = false
    }

    struct Subscriber {
        /// Unmanaged: `State.sessions` keeps every subscribed session alive (a session leaves every
        /// subscriber list before it leaves `sessions`), and the fan-out loop must not retain.
        let reference: Unmanaged<StreamSession>
        var session: StreamSession { reference.takeUnretainedValue() }
        init(session: StreamSession, slot: Int) {
            reference = Unmanaged.passUnretained(session)
            self.slot = slot
        }
        var slot: Int
    }

    struct Control: Sendable {
        var isStopping = false
        var isFinished = false
    }

    /// Counters since start, over open and closed sessions.
    public struct Totals: Sendable {
        public var opened: UInt64 = 0
        public var closedSlow: UInt64 = 0
        public var delivered: UInt64 = 0
        public var conflated: UInt64 = 0
        public var dropped: UInt64 = 0
        /// `/ws/v2` replays started.
        public var replays: UInt64 = 0
    }

    /// Per open session, for `/metrics`.
    public struct SessionStatistics: Sendable {
        public var sessionID: UInt64
        public var protocolName: String
        public var subscriptions: Int
        public var delivered: UInt64
        public var conflated: UInt64
        public var dropped: UInt64
    }

    /// - Parameters:
    ///   - startOffset: the first log offset to deliver (usually the end of the log at start).
    ///   - firstSessionID: ids are handed out from here (one past the largest the log has seen).
    ///   - journal: where session events go (appended to the log asynchronously).
    public init(reader: LogReader, startOffset: UInt64, firstSessionID: UInt64, journal: SessionJournal,
                settings: Settings = Settings()) {
        self.reader = reader
        self.settings = settings
        flushNanos = MonotonicTime.nanoseconds(settings.flushInterval)
        patienceNanos = MonotonicTime.nanoseconds(settings.patience)
        housekeepingNanos = MonotonicTime.nanoseconds(settings.housekeepingInterval)
        heartbeatNanos = MonotonicTime.nanoseconds(settings.heartbeatInterval)
        self.journal = journal
        state = Locked(State(nextSessionID: firstSessionID, nextOffset: startOffset))
    }

    // MARK: lifecycle

    /// Sets where delivery starts, the quotes as of that offset and the next session id; call before `start()`.
    public func resume(at offset: UInt64, book: QuoteBook, firstSessionID: UInt64) {
        state.withLock { s in
            s.nextOffset = offset
            s.book = book
            s.nextSessionID = max(s.nextSessionID, firstSessionID)
        }
    }

    /// Starts the tail thread.
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "tape-stream"
        thread.start()
    }

    /// Stops the tail thread and waits for it.
    public func stop() {
        control.update { $0.isStopping = true }
        control.wait(until: { $0.isFinished }, timeout: .seconds(5)) { _ in }
    }

    /// The next log offset to deliver: everything before it has been queued to its subscribers.
    public var deliveredEnd: UInt64 { state.withLock { $0.nextOffset } }

    /// Why the tail stopped delivering, if it did (a damaged log).
    public var failure: String? { state.withLock { $0.failure } }

    // MARK: sessions (any thread)

    /// Registers a connection; returns its session id. The SessionOpened event is journaled, then
    /// `beforeData` runs under the hub's lock before anything can be pushed to the session (a
    /// welcome goes first).
    @discardableResult
    public func open(socket: WebSocket, userID: UInt64?, protocolName: String, encoding: any StreamEncoding,
                     beforeData: (UInt64) -> Void = { _ in }) -> UInt64 {
        let now = MonotonicTime.now()
        let id = state.withLock { s in
            let id = s.nextSessionID
            s.nextSessionID += 1
            s.sessions[id] = StreamSession(id: id, userID: userID, protocolName: protocolName, socket: socket, encoding: encoding, now: now)
            s.totals.opened += 1
            // Journaled before anything reaches the client, which may write to the socket at once.
            journal.submit(.sessionOpened(SessionOpened(sessionID: id, userID: userID, protocolName: protocolName)))
            beforeData(id)
            return id
        }
        return id
    }

    /// What a subscribe did.
    public struct SubscribeOutcome: Sendable, Equatable {
        /// Tokens now subscribed in the requested mode (new ones and mode changes).
        public var subscribed: [UInt32] = []
        /// Tokens refused because the session would exceed `maxTokensPerSession`.
        public var overLimit: [UInt32] = []
    }

    /// Subscribes `tokens` in `mode`. Under the hub's lock, after the Subscribed event is
    /// journaled and before any later tick is queued, `beforeTicks` gets the outcome and the latest
    /// tick of each newly subscribed token (for a snapshot message); it is not called when the
    /// session is not open.
    @discardableResult
    public func subscribe(sessionID: UInt64, tokens: [UInt32], mode: StreamMode,
                          beforeTicks: (SubscribeOutcome, [TickUpdate]) -> Void = { _, _ in }) -> SubscribeOutcome {
        var outcome = SubscribeOutcome()
        state.withLock { s in
            guard let session = s.sessions[sessionID] else { return }
            var fresh: [TickUpdate] = []
            for token in Self.unique(tokens) {
                if session.modes[token] == nil {
                    guard session.modes.count < settings.maxTokensPerSession else { outcome.overLimit.append(token); continue }
                    s.subscribers[token, default: []].append(Subscriber(session: session, slot: Self.slot(session, mode)))
                    if let quote = s.book[token] { fresh.append(TickUpdate(quote: quote)) }
                } else {
                    Self.setSlot(of: session, for: token, mode: mode, in: &s)
                }
                session.modes[token] = mode
                outcome.subscribed.append(token)
            }
            if !outcome.subscribed.isEmpty {
                journal.submit(.subscribed(Subscription(sessionID: sessionID, tokens: outcome.subscribed, mode: mode.rawValue)))
            }
            beforeTicks(outcome, fresh)
        }
        return outcome
    }

    /// Changes the mode of tokens the session already has; returns those changed.
    @discardableResult
    public func setMode(sessionID: UInt64, tokens: [UInt32], mode: StreamMode) -> [UInt32] {
        let changed: [UInt32] = state.withLock { s in
            guard let session = s.sessions[sessionID] else { return [] }
            return Self.unique(tokens).filter { token in
                guard session.modes[token] != nil else { return false }
                session.modes[token] = mode
                Self.setSlot(of: session, for: token, mode: mode, in: &s)
                return true
            }
        }
        if !changed.isEmpty {
            journal.submit(.subscribed(Subscription(sessionID: sessionID, tokens: changed, mode: mode.rawValue)))
        }
        return changed
    }

    /// Unsubscribes tokens; returns those the session had.
    @discardableResult
    public func unsubscribe(sessionID: UInt64, tokens: [UInt32]) -> [UInt32] {
        let removed: [UInt32] = state.withLock { s in
            guard let session = s.sessions[sessionID] else { return [] }
            return Self.unique(tokens).filter { token in
                guard session.modes.removeValue(forKey: token) != nil else { return false }
                Self.detach(session, from: token, in: &s)
                return true
            }
        }
        if !removed.isEmpty {
            journal.submit(.unsubscribed(Subscription(sessionID: sessionID, tokens: removed, mode: "")))
        }
        return removed
    }

    /// Forgets a session whose connection closed; journals SessionClosed. Safe to call twice.
    public func close(sessionID: UInt64, reason: String) {
        let wasOpen = state.withLock { s in Self.remove(sessionID, from: &s) }
        if wasOpen { journal.submit(.sessionClosed(SessionClosed(sessionID: sessionID, reason: reason))) }
    }

    /// Sends `message` to every open session of `userID` whose protocol is `protocolName`
    /// (alerts go to the owner's `/ws/v2` sessions only); returns how many got it.
    @discardableResult
    public func push(_ message: StreamMessage, toUser userID: UInt64, protocolName: String) -> Int {
        state.withLock { s in
            var sent = 0
            for session in s.sessions.values where session.userID == userID && session.protocolName == protocolName {
                if session.socket.send(message) == .queued { sent += 1 }
            }
            return sent
        }
    }

    /// Open sessions.
    public var sessionCount: Int { state.withLock { $0.sessions.count } }

    /// Replays running now; their threads call `replayStarted()` and `replayFinished()`.
    public var replayCount: Int { state.withLock { $0.replays } }

    /// Counts a replay thread in; it calls `replayFinished()` when it ends.
    public func replayStarted() {
        state.withLock { s in
            s.replays += 1
            s.totals.replays += 1
        }
    }

    /// Counts a replay thread out.
    public func replayFinished() { state.withLock { $0.replays -= 1 } }

    /// Counters since start.
    public var totals: Totals {
        state.withLock { s in
            // Closed sessions' counts were added to `s.totals` when they left; add the open ones'.
            var totals = s.totals
            for session in s.sessions.values {
                totals.delivered += session.deliveredCount
                totals.conflated += session.conflatedCount
                totals.dropped += session.droppedCount
            }
            return totals
        }
    }

    /// Per-session counters of the open sessions, by id.
    public func sessionStatistics() -> [SessionStatistics] {
        state.withLock { s in
            s.sessions.values.sorted { $0.id < $1.id }.map {
                SessionStatistics(sessionID: $0.id, protocolName: $0.protocolName, subscriptions: $0.modes.count,
                                  delivered: $0.deliveredCount, conflated: $0.conflatedCount, dropped: $0.droppedCount)
            }
        }
    }

    // MARK: tail thread

    private func run() {
        nameCurrentThread("tape-stream")
        var lastHousekeeping = MonotonicTime.now()
        while !control.withLock({ $0.isStopping }) {
            let next = state.withLock { $0.nextOffset }
            do {
                let end = try reader.waitForEnd(beyond: next, timeout: untilNextFlush())
                if end > next {
                    let entries = try reader.read(from: next, limit: settings.readBatch)
                    deliver(entries, next: entries.last.map { $0.offset + 1 } ?? next)
                }
            } catch {
                state.withLock { $0.failure = "streaming stopped at offset \(next): \(error)" }
                control.wait(until: { $0.isStopping }, timeout: .seconds(1)) { _ in }
                continue
            }
            let now = MonotonicTime.now()
            state.withLock { s in flushDue(now: now, in: &s) }
            if now &- lastHousekeeping >= housekeepingNanos {
                lastHousekeeping = now
                housekeeping(now: now)
            }
        }
        control.update { $0.isFinished = true }
    }

    /// How long the tail may sleep: until the first waiting session is due, or the next housekeeping.
    private func untilNextFlush() -> Duration {
        let oldest = state.withLock { s in s.waiting.lazy.map(\.pendingSince).min() }
        guard let oldest else { return settings.housekeepingInterval }
        let due = oldest &+ flushNanos, now = MonotonicTime.now()
        return due > now ? .nanoseconds(Int64(due - now)) : .zero
    }

    /// Fans one batch of entries out: each tick is encoded once per slot and queued on its
    /// subscribers; sessions whose batch is due are sent one message.
    private func deliver(_ entries: [LogEntry], next: UInt64) {
        let now = MonotonicTime.now()
        state.withLock { s in
            // Each tick is encoded once per slot (protocol × mode) into that slot's buffer, then copied
            // by pointer into each subscriber's message: no reference counting per delivery.
            var slots = (0..<Self.encodingSlots * StreamMode.allCases.count).map { _ in ByteBuffer(capacity: 512) }
            defer { for slot in slots { slot.free() } }
            var isEncoded = [Bool](repeating: false, count: slots.count)
            for entry in entries {
                if case .signalPublished(let signal) = entry.event {
                    pushToV2(subscribersOf: signal.token, now: now, in: &s) {
                        StreamMessage(isBinary: false, bytes: V2Encoding.signalMessage(signal, time: entry.time, offset: entry.offset))
                    }
                    continue
                }
                guard case .tick(let tick) = entry.event else { continue }
                let quote = s.book.apply(tick, time: entry.time, offset: entry.offset)
                if let closed = s.candles.apply(tick, time: entry.time) {
                    // The closed bar goes out before the tick that closed it, as the bar's last word.
                    pushToV2(subscribersOf: tick.token, now: now, in: &s) {
                        V2Encoding.candleMessage(closed, token: tick.token, resolution: CandleCloser.resolution)
                    }
                }
                guard let subscribers = s.subscribers[tick.token] else { continue }
                let update = TickUpdate(offset: entry.offset, time: entry.time, tick: tick, quote: quote)
                for i in isEncoded.indices { isEncoded[i] = false }
                for subscriber in subscribers {
                    let slot = subscriber.slot
                    subscriber.reference._withUnsafeGuaranteedRef { session in
                        if !isEncoded[slot] {
                            slots[slot].removeAll()
                            slots[slot].append(session.encoding.fragment(of: update, mode: StreamMode.allCases[slot % 3]))
                            isEncoded[slot] = true
                        }
                        if session.add(UnsafeRawBufferPointer(start: slots[slot].base, count: slots[slot].count), token: tick.token, now: now) {
                            s.waiting.append(session)
                        }
                    }
                }
            }
            s.nextOffset = next
            s.isBehind = entries.count >= settings.behindAt
            s.round &+= 1
            flushDue(now: now, in: &s)
        }
    }

    /// Sends a message (a signal, a closed bar) to the `/ws/v2` sessions subscribed to `token`, after the
    /// ticks they already have waiting; the message is only made when someone is subscribed.
    private func pushToV2(subscribersOf token: UInt32, now: UInt64, in s: inout State,
                          _ makeMessage: () -> StreamMessage) {
        guard let subscribers = s.subscribers[token] else { return }
        let message = makeMessage()
        for subscriber in subscribers where subscriber.session.protocolName == "v2" {
            let session = subscriber.session
            if session.hasPending {
                if session.isWaiting { s.waiting.removeAll { $0 === session } }
                flush([session], now: now, in: &s)
            }
            if s.sessions[session.id] != nil { _ = session.socket.send(message) }
        }
    }

    /// Sends every waiting session that is due (`FlushRule`).
    private func flushDue(now: UInt64, in s: inout State) {
        guard !s.waiting.isEmpty else { return }
        var due: [StreamSession] = [], still: [StreamSession] = []
        let rule = FlushRule(interval: flushNanos, phases: settings.phases, maxBytes: settings.maxBatchBytes, now: now, round: s.round)
        for session in s.waiting {
            if rule.isDue(sessionID: session.id, pendingSince: session.pendingSince, pendingBytes: session.pendingBytes) {
                due.append(session)
            } else {
                still.append(session)
            }
        }
        guard !due.isEmpty else { return }
        s.waiting = still
        flush(due, now: now, in: &s)
    }

    /// Retries congested sessions and sends heartbeats to idle sessions whose protocol has one.
    private func housekeeping(now: UInt64) {
        state.withLock { s in
            // Congested sessions keep their conflated ticks without being in `waiting`: retry them.
            let congested = s.sessions.values.filter { $0.hasPending && !$0.isWaiting }
            flush(congested, now: now, in: &s)
            for session in s.sessions.values where !session.hasPending && now &- session.lastSend >= heartbeatNanos {
                guard let heartbeat = session.encoding.heartbeat else { continue }
                session.lastSend = now
                _ = session.socket.send(heartbeat)
            }
        }
    }

    /// Sends each session what it has. The tail writes each message to its socket itself while it
    /// keeps up (the socket is lent out when its loop has nothing to write: no hand-off, no
    /// wake-up); while it is behind, the loops write them, each on its own thread.
    private func flush(_ sessions: [StreamSession], now: UInt64, in s: inout State) {
        for session in sessions {
            let keepsUp = session.flush(now: now, patience: patienceNanos, mayWriteDirectly: !s.isBehind)
            if !keepsUp {
                closeSlow(session, in: &s)
            } else if session.hasPending, !session.isWaiting {
                // Still congested: retried on the next flush round.
                session.startWaiting(now: now)
                s.waiting.append(session)
            }
        }
    }

    private func closeSlow(_ session: StreamSession, in s: inout State) {
        let waiting = session.pendingCount
        session.droppedCount += UInt64(waiting)
        s.totals.closedSlow += 1
        session.socket.close(code: .policyViolation,
                             reason: "too slow: the outgoing queue stayed full for \(settings.patience); \(waiting) ticks dropped")
        _ = Self.remove(session.id, from: &s)
        journal.submit(.sessionClosed(SessionClosed(sessionID: session.id, reason: "too slow")))
    }

    // MARK: tables

    private static func remove(_ id: UInt64, from s: inout State) -> Bool {
        guard let session = s.sessions.removeValue(forKey: id) else { return false }
        s.totals.delivered += session.deliveredCount
        s.totals.conflated += session.conflatedCount
        s.totals.dropped += session.droppedCount
        for token in session.modes.keys { detach(session, from: token, in: &s) }
        if session.isWaiting { s.waiting.removeAll { $0 === session } }
        return true
    }

    private static func detach(_ session: StreamSession, from token: UInt32, in s: inout State) {
        guard var list = s.subscribers[token] else { return }
        list.removeAll { $0.session === session }
        s.subscribers[token] = list.isEmpty ? nil : list
    }

    private static func setSlot(of session: StreamSession, for token: UInt32, mode: StreamMode, in s: inout State) {
        guard let index = s.subscribers[token]?.firstIndex(where: { $0.session === session }) else { return }
        s.subscribers[token]![index].slot = slot(session, mode)
    }

    /// The fragment-cache slot of a session's protocol and a mode.
    private static func slot(_ session: StreamSession, _ mode: StreamMode) -> Int {
        session.encoding.slot * StreamMode.allCases.count + mode.index
    }

    /// The tokens in first-seen order without repeats.
    static func unique(_ tokens: [UInt32]) -> [UInt32] {
        var seen = Set<UInt32>()
        return tokens.filter { seen.insert($0).inserted }
    }
}

/// When a session with ticks waiting is sent them, in one fan-out round or wake-up of the hub.
struct FlushRule {
    /// `Settings.flushInterval` in nanoseconds.
    var interval: UInt64
    var phases: Int
    var maxBytes: Int
    /// The hub's clock (`MonotonicTime`) and round now.
    var now: UInt64
    var round: UInt64

    /// Whether a session is sent now: its oldest tick has waited `interval` (or will have within a
    /// tenth of it: one wake-up sends them together), its batch is full, or it is the session's turn
    /// and its oldest tick has waited half of `interval`.
    func isDue(sessionID: UInt64, pendingSince: UInt64, pendingBytes: Int) -> Bool {
        let waited = now &- pendingSince
        if waited &+ interval / 10 >= interval || pendingBytes >= maxBytes { return true }
        let phases = UInt64(max(1, phases))
        return sessionID % phases == round % phases && waited >= interval / 2
    }
}

extension StreamMode {
    /// 0, 1, 2: the mode's place in a per-tick fragment cache.
    var index: Int {
        switch self {
        case .ltp: 0
        case .quote: 1
        case .full: 2
        }
    }
}

