import EventLog
import Foundation
import Projections
import Services

/// One `/ws/v2` connection's replay of history: reads the log on its own thread and sends what a live
/// session would have been sent — `ticks` batches (the same encoding), `signal`s, `candle` bar closes,
/// and `alert`s re-evaluated against the user's current rules by a fresh `AlertEvaluator` — paced by event time.
///
/// The stream depends only on the log, the request and the rules, never on the wall clock: ticks are
/// batched by event time (see `ReplayPlayer`), so two replays of a range are byte-identical. The range
/// ends where the log ended when the replay started. Sending waits while the connection's queue is full
/// (backpressure), so nothing beyond one batch is ever held in memory.
///
/// Threads: `pause`, `resume`, `seek` and `stop` come from the connection's event loop; everything else
/// runs on the replay's own thread. They meet in `control`; every status message (`replay_started`,
/// `paused`, `resumed`, `replay_end`) is sent by the replay thread, so it sits in order among the data.
final class ReplaySession: Sendable {
    /// How far back before the first replayed event ticks are folded (not sent) so that day fields, previous
    /// closes and crossings start as they were: three UTC days before that event's day covers a weekend.
    static let warmUpDays: Int64 = 3

    private let request: ReplayRequest
    private let socket: WebSocket
    private let sources: ReplaySources
    private let rules: [AlertChange]
    private let control = Monitor(ReplayControl())

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
            } catch ReplayControl.Interruption.stopped {
                return
            } catch ReplayControl.Interruption.seek(let seek) {
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
    private func waitForSeek() throws(ReplayControl.Interruption) -> ReplaySeek {
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
        var player = ReplayPlayer(request: request, socket: socket, control: control, candles: CandleCloser(wholeFrom: notBefore))
        defer { player.batch.free() }
        guard send(Self.status("replay_started") { j in
            j.key("from_offset"); j.value(start)
            j.key("mode"); j.value(request.mode.rawValue)
            j.key("speed"); if let speed = request.speed { j.value(speed) } else { j.value("max") }
        }) else { throw ReplayControl.Interruption.stopped }
        try warmUp(&player, before: start, reader: reader)
        for rule in rules {
            _ = player.evaluator.apply(LogEntry(offset: start, time: Timestamp(nanoseconds: 0), event: .alertCreated(rule)))
        }
        let filter = request.filter
        var interruption: ReplayControl.Interruption?
        try reader.scan(from: start) { entry in
            guard entry.offset < end else { return false }
            switch filter.verdict(for: entry) {
            case .stop: return false
            case .skip: return true
            case .write: break
            }
            // The log's times may step back a little (ticks carry exchange times): nothing before the asked time.
            if let notBefore, entry.time < notBefore { return true }
            do throws(ReplayControl.Interruption) {
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
    private func warmUp(_ player: inout ReplayPlayer, before start: UInt64, reader: LogReader) throws {
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
        if isStopped { throw ReplayControl.Interruption.stopped }
    }

    // MARK: sending

    /// Sends a status message, waiting while the queue is full; false once the connection closed or the replay was stopped.
    private func send(_ message: StreamMessage) -> Bool {
        (try? control.send(message, to: socket)) != nil
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

}
