import Glibc

/// The bounded queue through which any thread hands outgoing data to a connection's loop.
///
/// Written from any thread, drained on the owning loop thread; all state is guarded by one lock.
///
/// A WebSocket's outbox can also write a frame straight to the socket: while the loop has
/// nothing to send it lends the socket out (`lendSocket()`), and a frame sent meanwhile is
/// written by the sending thread itself, under the lock, with no hand-off to the loop and no
/// wake-up. A frame the socket does not take whole is queued (its unwritten rest first) and the
/// loop takes the socket back; so does any write of the loop's own (`drain(into:)`). Frames
/// never interleave: a frame is written whole under the lock or queued.
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
        /// Whether the loop has lent the socket out: nothing is queued and the loop has nothing to write.
        var isSocketLent = false
    }

    private let state = Locked(State())
    /// The most data bytes the queue holds; a bigger message can never be queued.
    let capacityBytes: Int
    /// The socket frames may be written to directly while it is lent out (a WebSocket's; nil for
    /// a streamed HTTP body, which the loop frames into chunks).
    private let directSocket: Int32?
    private let scheduleDrain: @Sendable () -> Void

    /// Makes an outbox holding at most `capacityBytes` of data; `scheduleDrain` asks the loop to
    /// call `drain()`. With `directSocket`, frames may be written to it while the loop lends it out.
    init(capacityBytes: Int, directSocket: Int32? = nil, scheduleDrain: @escaping @Sendable () -> Void) {
        self.capacityBytes = capacityBytes
        self.directSocket = directSocket
        self.scheduleDrain = scheduleDrain
    }

    /// Queues an item, or writes a frame straight to a lent-out socket; data beyond the capacity
    /// is refused, control items (close, end) always fit.
    func enqueue(_ item: Item) -> SendResult {
        switch item {
        case .webSocketFrame(let frame):
            frame.withUnsafeBytes { bytes in
                enqueue(item, size: frame.count, frame: bytes) { written in .webSocketFrame(Array(frame[written...])) }
            }
        case .bodyChunk(let bytes):
            enqueue(item, size: bytes.count, frame: nil) { _ in item }
        case .webSocketClose, .bodyEnd:
            enqueue(item, size: 0, frame: nil) { _ in item }
        }
    }

    /// Sends a frame from memory the caller owns: written straight to a lent-out socket when it
    /// takes the frame whole, copied into the queue otherwise. With `mayWriteDirectly` false it is
    /// queued (and a lent socket taken back), so that the loop's thread does the writing.
    func enqueue(frame: UnsafeRawBufferPointer, mayWriteDirectly: Bool = true) -> SendResult {
        enqueue(nil, size: frame.count, frame: mayWriteDirectly ? frame : nil) { written in .webSocketFrame(Array(frame[written...])) }
    }

    /// Writes `frame` to a lent-out socket, or queues `item` (`rest(0)` when nil); after a partial
    /// write, `rest(written)` is queued instead, first.
    private func enqueue(_ item: Item?, size: Int, frame: UnsafeRawBufferPointer?, rest: (Int) -> Item) -> SendResult {
        let (result, mustSchedule): (SendResult, Bool) = state.withLock { state in
            guard !state.isClosed else { return (.closed, false) }
            guard size == 0 || state.queuedBytes + size <= capacityBytes else { return (.queueFull, false) }
            var queued = (item: item, size: size)
            if state.isSocketLent {
                if let frame, let socket = directSocket {
                    let written = send(socket, frame.baseAddress, frame.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    if written == frame.count { return (.queued, false) }
                    // A full socket (or an error, which the loop's own write then meets): the rest
                    // of the frame goes first in the queue.
                    if written > 0 { queued = (rest(written), size - written) }
                }
                state.isSocketLent = false
            }
            state.items.append(queued.item ?? rest(0))
            state.queuedBytes += queued.size
            // One wake-up per batch: later items ride along until the loop drains.
            let mustSchedule = !state.isDrainScheduled
            state.isDrainScheduled = true
            return (.queued, mustSchedule)
        }
        if mustSchedule { scheduleDrain() }
        return result
    }

    /// Moves every queued item to the end of `items`, and takes the socket back if it was lent
    /// out; called on the loop thread before it writes anything. Into an empty array the two trade
    /// places, so a loop that empties `items` (keeping its capacity) and passes it again drains
    /// without allocating, however many messages come through.
    func drain(into items: inout [Item]) {
        state.withLock { state in
            state.isSocketLent = false
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

    /// Lends the socket to senders, who then write frames to it directly; called on the loop
    /// thread when it has nothing left to write. Returns false, lending nothing, when items wait
    /// (a drain is scheduled for them) or the outbox has no socket to lend or is closed.
    func lendSocket() -> Bool {
        guard directSocket != nil else { return false }
        return state.withLock { state in
            guard !state.isClosed, state.items.isEmpty else { return false }
            state.isSocketLent = true
            return true
        }
    }

    /// Refuses all further items; called on the loop thread when the connection closes, before
    /// its descriptor is closed (so no sender writes to a descriptor number that is reused).
    func close() {
        state.withLock { state in
            state.isClosed = true
            state.isSocketLent = false
            state.items = []
            state.queuedBytes = 0
        }
    }

    /// Whether the connection behind this outbox has closed.
    var isClosed: Bool { state.withLock { $0.isClosed } }
}
