import EventLog
import Foundation
import Projections
import Services

/// One `/ws/v2` connection's replay of history: reads the log on its own thread and sends what a live
/// session would have been sent — `ticks` batches (the same encoding), `signal`s, `candle` bar closes,
/// and `alert`s re-evaluated against the user's current rules by a fresh `AlertEvaluator` — paced by event time.
///
/// The stream depends only on the log, the request and the rules, never on the wall clock: ticks are
/// batched by event time (those within `batchWindow × speed` of a batch's first tick; at `max`, up to
/// `maxBatchBytes`), so two replays of a range are byte-identical. The range ends where the log ended
/// when the replay started. Sending waits while the connection's queue is full (backpressure), so
/// nothing beyond one batch is ever held in memory.
///
/// Threads: `pause`, `resume`, `seek` and `stop` come from the connection's event loop; everything else
/// runs on the replay's own thread. They meet in `control`; every status message (`replay_started`,
/// `paused`, `resumed`, `replay_end`) is sent by the replay thread, so it sits in order among the data.
final class ReplaySession: Sendable {
    /// Ticks whose event times lie within this (times the speed) of a batch's first tick share its message.
    static let batchWindow: Duration = .milliseconds(10)
    /// A batch is sent once it holds this many bytes (or a quarter of the connection's queue, if less:
    /// a message bigger than the queue could never be queued).
    static let maxBatchBytes = 64 << 10
    /// How far back before the first replayed event ticks are folded (not sent) so that day fields, previous
    /// closes and crossings start as they were: three UTC days before that event's day covers a weekend.
    static let warmUpDays: Int64 = 3

    private struct Control {
        var isPaused = false
        var seek: ReplaySeek?
        var isStopped = false
        /// The replay reached its end and waits for a seek.
        var hasEnded = false
    }

    /// Why playing stopped before the end of the range.
    private enum Interruption: Error {
        case stopped
        case seek(ReplaySeek)
    }

    private let request: ReplayRequest
    private let socket: WebSocket
    private let sources: ReplaySources
    private let rules: [AlertChange]
    private let control = Monitor(Control())

    /// Starts replaying `request` to `socket` on a new thread; `userID`'s current alert rules are evaluated.
    init(request: ReplayRequest, socket: WebSocket, userID: UInt64?, sources: ReplaySources) {
        self.request = request
        self.socket = socket
        self.sources = sources
        rules = userID.map(sources.alertRules) ?? []
        let thread = Thread { [self] in run() }
        thread.name = "tape-replay"
        thread.start()
    }

    /// Holds the stream after the batch being sent; acknowledged with `paused`, or refused when there is nothing to pause.
    func pause() -> V2Request.Failure? {
        control.update { c in
            if c.hasEnded { return V2Request.Failure(code: "replay_ended", message: "the replay has ended; seek to play again") }
            if c.isPaused { return V2Request.Failure(code: "already_paused", message: "the replay is already paused") }
            c.isPaused = true
            return nil
        }
    }

    /// Continues a paused stream; acknowledged with `resumed`, or refused when it is not paused.
    func resume() -> V2Request.Failure? {
        control.update { c in
            guard c.isPaused else { return V2Request.Failure(code: "not_paused", message: "the replay is not paused") }
            c.isPaused = false
            return nil
        }
    }

    /// Restarts the replay at `target`, keeping its `to`, tokens, mode, speed and pause; acknowledged with `replay_started`.
    func seek(_ target: ReplaySeek) {
        control.update { $0.seek = target }
    }

    /// Ends the replay thread (the connection closed, or another replay replaces this one).
    func stop() {
        control.update { $0.isStopped = true }
    }

    // MARK: the replay thread

    private func run() {
        nameCurrentThread("tape-replay")
        sources.hub.replayStarted()
        defer { sources.hub.replayFinished() }
        let reader: LogReader, end: UInt64
        var start: UInt64
        var notBefore = request.from
        do {
            reader = try sources.makeReader()
            end = try reader.endOffset()
            start = try request.filter.startOffset(in: reader)
        } catch {
            sendError("log_unavailable", "cannot read the log: \(error)")
            return
        }
        while true {
            let target: ReplaySeek
            do {
                let (events, last) = try play(from: start, notBefore: notBefore, end: end, reader: reader)
                // Ended before the message goes out: a pause the client sends on reading it is refused, not lost.
                markEnded()
                guard send(Self.status("replay_end") { j in
                    j.key("events"); j.value(events)
                    j.key("last_offset"); if let last { j.value(last) } else { j.null() }
                }) else { return }
                target = try waitForSeek()
            } catch Interruption.stopped {
                return
            } catch Interruption.seek(let seek) {
                target = seek
            } catch {
                markEnded()
                sendError("log_unavailable", "the replay stopped reading the log: \(error)")
                guard let seek = try? waitForSeek() else { return }
                target = seek
            }
            do {
                switch target {
                case .offset(let offset):
                    start = max(offset, try reader.startOffset())
                    notBefore = nil
                case .time(let time):
                    start = try reader.offset(atOrAfter: time)
                    notBefore = time
                }
            } catch {
                sendError("log_unavailable", "cannot read the log: \(error)")
                return
            }
        }
    }

    /// The range is done: pause no longer applies until a seek.
    private func markEnded() {
        control.update { c in
            c.hasEnded = true
            c.isPaused = false
        }
    }

    /// After the end: waits for a seek (returned) or a stop (thrown).
    private func waitForSeek() throws(Interruption) -> ReplaySeek {
        let seek: ReplaySeek? = control.wait(until: { $0.seek != nil || $0.isStopped }, timeout: nil) { c in
            guard !c.isStopped, let seek = c.seek else { return nil }
            c.seek = nil
            c.hasEnded = false
            return seek
        }
        guard let seek else { throw .stopped }
        return seek
    }

    /// Sends the range from `start`: returns the ticks and signals sent and the last one's offset.
    private func play(from start: UInt64, notBefore: Timestamp?, end: UInt64, reader: LogReader) throws -> (events: UInt64, last: UInt64?) {
        var player = Player(request: request, socket: socket, control: control, candles: CandleCloser(wholeFrom: notBefore))
        defer { player.batch.free() }
        guard send(Self.status("replay_started") { j in
            j.key("from_offset"); j.value(start)
            j.key("mode"); j.value(request.mode.rawValue)
            j.key("speed"); if let speed = request.speed { j.value(speed) } else { j.value("max") }
        }) else { throw Interruption.stopped }
        try warmUp(&player, before: start, reader: reader)
        for rule in rules {
            _ = player.evaluator.apply(LogEntry(offset: start, time: Timestamp(nanoseconds: 0), event: .alertCreated(rule)))
        }
        let filter = request.filter
        var interruption: Interruption?
        try reader.scan(from: start) { entry in
            guard entry.offset < end else { return false }
            switch filter.verdict(for: entry) {
            case .stop: return false
            case .skip: return true
            case .write: break
            }
            // The log's times may step back a little (ticks carry exchange times): nothing before the asked time.
            if let notBefore, entry.time < notBefore { return true }
            do throws(Interruption) {
                try player.play(entry)
                return true
            } catch {
                interruption = error
                return false
            }
        }
        if let interruption { throw interruption }
        try player.flush()
        return (player.events, player.lastOffset)
    }

    /// Folds the ticks of the asked tokens from a few days before `start` into the quotes and the
    /// evaluator's previous prices, before any rule is added (so nothing fires), without sending them.
    private func warmUp(_ player: inout Player, before start: UInt64, reader: LogReader) throws {
        guard request.mode != .ltp || !rules.isEmpty, let first = try reader.read(from: start, limit: 1).first else { return }
        let day: Int64 = 86_400 * 1_000_000_000
        let dayStart = first.time.rawValue - ((first.time.rawValue % day) + day) % day
        let from = try reader.offset(atOrAfter: Timestamp(nanoseconds: dayStart - Self.warmUpDays * day))
        let tokens = request.tokens.map(Set.init)
        var isStopped = false
        var folded = 0
        try reader.scanTicks(from: from) { offset, time, tick in
            guard offset < start else { return false }
            folded += 1
            if folded % 4096 == 0, control.withLock({ $0.isStopped }) { isStopped = true; return false }
            guard tokens?.contains(tick.token) ?? true else { return true }
            player.book.apply(tick, time: time, offset: offset)
            _ = player.evaluator.evaluate(tick, offset: offset, time: time)
            return true
        }
        if isStopped { throw Interruption.stopped }
    }

    // MARK: sending

    /// Sends a status message, waiting while the queue is full; false once the connection closed or the replay was stopped.
    private func send(_ message: StreamMessage) -> Bool {
        (try? Self.send(message, to: socket, control: control)) != nil
    }

    private func sendError(_ code: String, _ message: String) {
        _ = send(Self.status("error") { j in j.key("code"); j.value(code); j.key("message"); j.value(message) })
    }

    /// `{"type":type, …fields}`.
    static func status(_ type: String, _ fields: (inout JSONText) -> Void = { _ in }) -> StreamMessage {
        var j = JSONText(capacity: 128)
        j.beginObject()
        j.key("type"); j.value(type)
        fields(&j)
        j.endObject()
        return StreamMessage(isBinary: false, bytes: j.bytes)
    }

    /// Queues `message`, waiting (a few ms at a time, woken by a stop) while the connection's queue is full.
    private static func send(_ message: StreamMessage, to socket: WebSocket, control: Monitor<Control>) throws(Interruption) {
        while true {
            switch socket.send(message) {
            case .queued: return
            case .closed: throw .stopped
            case .queueFull:
                let isStopped = control.wait(until: { $0.isStopped }, timeout: .milliseconds(2)) { $0.isStopped }
                if isStopped { throw .stopped }
            }
        }
    }

    /// The state of one pass over the range: the batch being built, the folds, the pace, the counts.
    /// Owned by the replay thread.
    private struct Player {
        let request: ReplayRequest
        let socket: WebSocket
        let control: Monitor<Control>
        let encoding = V2Encoding()
        var book = QuoteBook()
        var evaluator = AlertEvaluator()
        var candles: CandleCloser
        var pace: ReplayPace
        var batch = ByteBuffer(capacity: 1 << 12)
        var batchCount = 0
        var batchFirstTime = Timestamp(nanoseconds: 0)
        var batchLast: (offset: UInt64, time: Timestamp)?
        /// Ticks and signals sent, and the offset of the last.
        var events: UInt64 = 0
        var lastOffset: UInt64?
        /// Event-time span of a batch; nil at `max` (batches are cut by size only).
        let window: Int64?
        let batchBytes: Int

        init(request: ReplayRequest, socket: WebSocket, control: Monitor<Control>, candles: CandleCloser) {
            self.request = request
            self.socket = socket
            self.control = control
            self.candles = candles
            pace = ReplayPace(speed: request.speed)
            let nanos = Double(ReplaySession.batchWindow.components.attoseconds / 1_000_000_000)
                + Double(ReplaySession.batchWindow.components.seconds) * 1e9
            window = request.speed.map { Int64(nanos * $0) }
            batchBytes = min(ReplaySession.maxBatchBytes, socket.outbox.capacityBytes / 4)
        }

        /// One selected entry: a tick joins the batch (and may fire alerts), a signal goes out after the batch.
        mutating func play(_ entry: LogEntry) throws(Interruption) {
            switch entry.event {
            case .tick(let tick):
                let quote = book.apply(tick, time: entry.time, offset: entry.offset)
                if let closed = candles.apply(tick, time: entry.time) {
                    // As live: the closed bar goes out when the tick that closed it is due, just before it.
                    try flush()
                    try waitUntilDue(entry.time, lastSent: lastOffset)
                    try send(V2Encoding.candleMessage(closed, token: tick.token, resolution: CandleCloser.resolution))
                }
                if batchCount > 0 {
                    let isWindowOver = window.map { entry.time.rawValue - batchFirstTime.rawValue >= $0 } ?? false
                    if isWindowOver || batch.count >= batchBytes { try flush() }
                }
                if batchCount == 0 {
                    encoding.begin(&batch)
                    batchFirstTime = entry.time
                }
                let fragment = encoding.fragment(of: TickUpdate(offset: entry.offset, time: entry.time, tick: tick, quote: quote), mode: request.mode)
                fragment.withUnsafeBytes { encoding.append($0, to: &batch, index: batchCount) }
                batchCount += 1
                batchLast = (entry.offset, entry.time)
                let firings = evaluator.evaluate(tick, offset: entry.offset, time: entry.time)
                guard !firings.isEmpty else { return }
                // An alert follows the batch holding its tick, as a live firing follows the tick's delivery.
                try flush()
                for f in firings {
                    try send(V2Encoding.alertMessage(AlertFiring(
                        alertID: f.alertID, n: f.n, ruleVersion: f.ruleVersion, token: f.rule.token, tickOffset: f.tick.offset,
                        offset: f.tick.offset, price: f.tick.price, time: f.tick.time)))
                }
            case .signalPublished(let signal):
                try flush()
                try waitUntilDue(entry.time, lastSent: lastOffset)
                try send(StreamMessage(isBinary: false, bytes: V2Encoding.signalMessage(signal, time: entry.time, offset: entry.offset)))
                events += 1
                lastOffset = entry.offset
            default:
                break
            }
        }

        /// Sends the batch once its last tick is due.
        mutating func flush() throws(Interruption) {
            guard batchCount > 0, let last = batchLast else { return }
            try waitUntilDue(last.time, lastSent: lastOffset)
            encoding.finish(&batch, count: batchCount)
            try send(StreamMessage(isBinary: false, bytes: batch.bytes))
            events += UInt64(batchCount)
            lastOffset = last.offset
            batch.removeAll()
            batchCount = 0
            batchLast = nil
        }

        /// Waits until an event of `time` is due, honouring pause (acknowledged here, in stream order), seek and stop.
        mutating func waitUntilDue(_ time: Timestamp, lastSent: UInt64?) throws(Interruption) {
            while true {
                // A pending seek is taken in the same lock as it is read, so that a later one is not lost.
                let state = control.withLock { c in
                    defer { c.seek = nil }
                    return c
                }
                if state.isStopped { throw .stopped }
                if let seek = state.seek { throw .seek(seek) }
                if state.isPaused {
                    try send(ReplaySession.status("paused") { j in
                        j.key("last_offset"); if let lastSent { j.value(lastSent) } else { j.null() }
                    })
                    control.wait(until: { !$0.isPaused || $0.seek != nil || $0.isStopped }, timeout: nil) { _ in }
                    if control.withLock({ $0.isPaused }) { continue }
                    try send(ReplaySession.status("resumed"))
                    // The pace starts again from here: the next event is due now, not "late" by the pause.
                    pace.restart()
                    continue
                }
                let delay = pace.delay(before: time)
                if delay == .zero { return }
                control.wait(until: { $0.isPaused || $0.seek != nil || $0.isStopped }, timeout: delay) { _ in }
            }
        }

        func send(_ message: StreamMessage) throws(Interruption) {
            try ReplaySession.send(message, to: socket, control: control)
        }
    }
}
