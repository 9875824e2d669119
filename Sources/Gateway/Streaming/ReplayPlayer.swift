import EventLog
import Projections
import Services

/// One pass of a `ReplaySession` over its range: the batch being built, the folds (quotes, alert rules,
/// forming bars), the pace and the counts.
///
/// Ticks whose event times lie within `batchWindow × speed` of a batch's first tick share one message
/// (at `max`, a message is cut by size only), and a batch goes out when its last tick is due: batching
/// depends on event times, never on the clock, so a replay's bytes do not vary from run to run.
///
/// A value owned by the replay thread.
struct ReplayPlayer {
    /// Ticks whose event times lie within this (times the speed) of a batch's first tick share its message.
    static let batchWindow: Duration = .milliseconds(10)
    /// A batch is sent once it holds this many bytes (or a quarter of the connection's queue, if less:
    /// a message bigger than the queue could never be queued).
    static let maxBatchBytes = 64 << 10

    let request: ReplayRequest
    let socket: WebSocket
    let control: Monitor<ReplayControl>
    let encoding = V2Encoding()
    var book = QuoteBook()
    var evaluator = AlertEvaluator()
    var candles: CandleCloser
    var pace: ReplayPace
    var batch = FrameBuffer(capacity: 1 << 12)
    var batchCount = 0
    var batchFirstTime = Timestamp(nanoseconds: 0)
    var batchLast: (offset: UInt64, time: Timestamp)?
    /// Ticks and signals sent, and the offset of the last.
    var events: UInt64 = 0
    var lastOffset: UInt64?
    /// Event-time span of a batch; nil at `max` (batches are cut by size only).
    let window: Int64?
    let batchBytes: Int

    init(request: ReplayRequest, socket: WebSocket, control: Monitor<ReplayControl>, candles: CandleCloser) {
        self.request = request
        self.socket = socket
        self.control = control
        self.candles = candles
        pace = ReplayPace(speed: request.speed)
        let nanos = Double(Self.batchWindow.components.attoseconds / 1_000_000_000)
            + Double(Self.batchWindow.components.seconds) * 1e9
        // Any speed past about 10^11 has a window longer than the log's whole span: as good as no limit.
        window = request.speed.map { Int64(min(nanos * $0, 9e18)) }
        batchBytes = min(Self.maxBatchBytes, socket.outbox.capacityBytes / 4)
    }

    /// One selected entry: a tick joins the batch (and may fire alerts), a signal goes out after the batch.
    mutating func play(_ entry: LogEntry) throws(ReplayControl.Interruption) {
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
                let isWindowOver = window.map { window in
                    // Times too far apart to subtract (a hostile record) are certainly more than a window apart.
                    let (gap, overflow) = entry.time.rawValue.subtractingReportingOverflow(batchFirstTime.rawValue)
                    return overflow || gap >= window
                } ?? false
                if isWindowOver || batch.payloadCount >= batchBytes { try flush() }
            }
            if batchCount == 0 { batchFirstTime = entry.time }
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
    mutating func flush() throws(ReplayControl.Interruption) {
        guard batchCount > 0, let last = batchLast else { return }
        try waitUntilDue(last.time, lastSent: lastOffset)
        encoding.finish(&batch, count: batchCount)
        try send(batch.message(isBinary: false))
        events += UInt64(batchCount)
        lastOffset = last.offset
        batch.removeAll()
        batchCount = 0
        batchLast = nil
    }

    /// Waits until an event of `time` is due, honouring pause (acknowledged here, in stream order), seek and stop.
    mutating func waitUntilDue(_ time: Timestamp, lastSent: UInt64?) throws(ReplayControl.Interruption) {
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

    /// Sends with backpressure (see `Monitor.send(_:to:)`).
    func send(_ message: StreamMessage) throws(ReplayControl.Interruption) {
        try control.send(message, to: socket)
    }
}
