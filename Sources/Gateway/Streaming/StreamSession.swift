import EventLog
import Foundation

/// One streaming WebSocket connection as the hub sees it: its subscriptions, and the ticks
/// waiting for the next send.
///
/// Ticks are appended straight into the next message's bytes (no per-tick allocation or
/// reference counting). When the connection's queue refuses a message the session is
/// congested: that message is kept to be retried first, and later ticks are conflated — only
/// the latest per token is kept — until the queue takes them again.
///
/// Owned by `StreamHub`: every field is read and written only under the hub's lock.
final class StreamSession: @unchecked Sendable {
    let id: UInt64
    let userID: UInt64?
    let protocolName: String
    let socket: WebSocket
    let encoding: any StreamEncoding
    /// Subscribed tokens and the mode of each.
    var modes: [UInt32: StreamMode] = [:]

    /// The message being built and how many ticks it holds.
    private var buffer = ByteBuffer()
    private var count = 0
    /// A message the queue refused, retried before anything else, and its tick count.
    private var refused: (message: StreamMessage, count: Int)?
    /// While congested: the latest fragment of each token, in the order tokens first ticked.
    private var latest: [UInt32: [UInt8]] = [:]
    private var latestOrder: [UInt32] = []

    /// Whether the hub's `waiting` list holds this session, and since when its oldest tick waits.
    var isWaiting = false
    var pendingSince: ContinuousClock.Instant
    /// When the outgoing queue was first found full, if it still is.
    var congestedSince: ContinuousClock.Instant?
    var lastSend: ContinuousClock.Instant

    /// Ticks replaced by a newer tick of the same token before they could be sent.
    var conflatedCount: UInt64 = 0
    /// Ticks never sent because the session was closed for being too slow.
    var droppedCount: UInt64 = 0
    var deliveredCount: UInt64 = 0

    init(id: UInt64, userID: UInt64?, protocolName: String, socket: WebSocket, encoding: any StreamEncoding, now: ContinuousClock.Instant) {
        self.id = id
        self.userID = userID
        self.protocolName = protocolName
        self.socket = socket
        self.encoding = encoding
        self.lastSend = now
        self.pendingSince = now
    }

    deinit { buffer.free() }

    /// Whether any tick waits to be sent.
    var hasPending: Bool { count > 0 || refused != nil || !latestOrder.isEmpty }

    /// Bytes waiting (roughly: the conflated fragments are not counted).
    var pendingBytes: Int { buffer.count }

    /// Ticks waiting, for the dropped count when the session is closed.
    var pendingCount: Int { count + (refused?.count ?? 0) + latestOrder.count }

    /// Queues one tick's fragment.
    func add(_ fragment: UnsafeRawBufferPointer, token: UInt32) {
        if congestedSince == nil {
            if count == 0 { encoding.begin(&buffer) }
            encoding.append(fragment, to: &buffer, index: count)
            count += 1
        } else if latest.updateValue(Array(fragment), forKey: token) != nil {
            conflatedCount += 1
        } else {
            latestOrder.append(token)
        }
    }

    /// Hands what waits to the socket: the refused message, the message being built, then the
    /// conflated ticks. Returns false when the queue is still full and the session has been
    /// congested longer than `patience`.
    func flush(now: ContinuousClock.Instant, patience: Duration) -> Bool {
        isWaiting = false
        if let (message, ticks) = refused {
            guard send(message, ticks: ticks, now: now) else { return keepsUp(now, patience) }
            refused = nil
        }
        if count > 0 {
            encoding.finish(&buffer, count: count)
            let message = StreamMessage(isBinary: encoding.isBinary, bytes: buffer.bytes)
            let ticks = count
            buffer.removeAll()
            count = 0
            guard send(message, ticks: ticks, now: now) else {
                refused = (message, ticks)
                return keepsUp(now, patience)
            }
        }
        if !latestOrder.isEmpty {
            let message = encoding.message(joining: latestOrder.map { latest[$0]! })
            guard send(message, ticks: latestOrder.count, now: now) else {
                return keepsUp(now, patience)
            }
            latest.removeAll(keepingCapacity: true)
            latestOrder.removeAll(keepingCapacity: true)
        }
        congestedSince = nil
        return true
    }

    /// Sends one message; on a full queue marks the session congested and returns false.
    private func send(_ message: StreamMessage, ticks: Int, now: ContinuousClock.Instant) -> Bool {
        switch socket.send(message) {
        case .queued:
            deliveredCount += UInt64(ticks)
            lastSend = now
            return true
        case .closed:
            return true
        case .queueFull:
            if congestedSince == nil { congestedSince = now }
            return false
        }
    }

    private func keepsUp(_ now: ContinuousClock.Instant, _ patience: Duration) -> Bool {
        guard let since = congestedSince else { return true }
        return now - since < patience
    }
}
