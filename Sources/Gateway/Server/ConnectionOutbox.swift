/// The bounded queue through which any thread hands outgoing data to a connection's loop.
///
/// Written from any thread, drained on the owning loop thread; all state is guarded by one lock.
final class ConnectionOutbox: Sendable {
    /// One thing to send, encoded on the loop thread when drained; a value, usable from any thread.
    enum Item: Sendable, Equatable {
        /// A WebSocket data frame (text or binary), header included, sent as it is.
        case webSocketFrame([UInt8])
        /// Start the WebSocket closing handshake with this code and reason (RFC 6455 §7.1.2).
        case webSocketClose(WebSocketCloseCode, String)
        /// A piece of a streamed HTTP response body.
        case bodyChunk([UInt8])
        /// The end of a streamed HTTP response body.
        case bodyEnd
    }

    private struct State {
        var items: [Item] = []
        var queuedBytes = 0
        var isClosed = false
        var isDrainScheduled = false
    }

    private let state = Locked(State())
    /// The most data bytes the queue holds; a bigger message can never be queued.
    let capacityBytes: Int
    private let scheduleDrain: @Sendable () -> Void

    /// Makes an outbox holding at most `capacityBytes` of data; `scheduleDrain` asks the loop to call `drain()`.
    init(capacityBytes: Int, scheduleDrain: @escaping @Sendable () -> Void) {
        self.capacityBytes = capacityBytes
        self.scheduleDrain = scheduleDrain
    }

    /// Queues an item; data beyond the capacity is refused, control items (close, end) always fit.
    func enqueue(_ item: Item) -> SendResult {
        let size: Int
        switch item {
        case .webSocketFrame(let bytes), .bodyChunk(let bytes): size = bytes.count
        case .webSocketClose, .bodyEnd: size = 0
        }
        let (result, mustSchedule): (SendResult, Bool) = state.withLock { state in
            guard !state.isClosed else { return (.closed, false) }
            guard size == 0 || state.queuedBytes + size <= capacityBytes else { return (.queueFull, false) }
            state.items.append(item)
            state.queuedBytes += size
            // One wake-up per batch: later items ride along until the loop drains.
            let mustSchedule = !state.isDrainScheduled
            state.isDrainScheduled = true
            return (.queued, mustSchedule)
        }
        if mustSchedule { scheduleDrain() }
        return result
    }

    /// Moves every queued item to the end of `items`; called on the loop thread. Into an empty
    /// array the two trade places, so a loop that empties `items` (keeping its capacity) and
    /// passes it again drains without allocating, however many messages come through.
    func drain(into items: inout [Item]) {
        state.withLock { state in
            if items.isEmpty {
                swap(&state.items, &items)
            } else {
                items += state.items
                state.items.removeAll(keepingCapacity: true)
            }
            state.queuedBytes = 0
            state.isDrainScheduled = false
        }
    }

    /// Refuses all further items; called on the loop thread when the connection closes.
    func close() {
        state.withLock { state in
            state.isClosed = true
            state.items = []
            state.queuedBytes = 0
        }
    }

    /// Whether the connection behind this outbox has closed.
    var isClosed: Bool { state.withLock { $0.isClosed } }
}
