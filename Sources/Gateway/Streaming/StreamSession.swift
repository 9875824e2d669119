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

    /// The message being built: what every delivery touches. Behind a pointer, because each
    /// access to a class's stored property is an exclusivity check at run time, which at
    /// millions of deliveries a second cost a fifth of the hub thread; the session owns it.
    private let batch: UnsafeMutablePointer<Batch>
    /// A message the queue refused, retried before anything else, and its tick count.
    private var refused: (message: StreamMessage, count: Int)?
    /// While congested: the latest fragment of each token, in the order tokens first ticked.
    private var latest: [UInt32: [UInt8]] = [:]
    private var latestOrder: [UInt32] = []
    /// Since when the outgoing queue has been full (`MonotonicTime` nanoseconds), if it is.
    private var congestedSince: UInt64 = 0
    var lastSend: UInt64

    /// Ticks replaced by a newer tick of the same token before they could be sent.
    var conflatedCount: UInt64 = 0
    /// Ticks never sent because the session was closed for being too slow.
    var droppedCount: UInt64 = 0
    var deliveredCount: UInt64 = 0

    /// The hot part of a session: the message being built and whether the hub's `waiting` list
    /// holds the session.
    struct Batch {
        fileprivate var message = FrameBuffer()
        fileprivate(set) var count = 0
        /// The encoding's message layout, copied here so that adding a tick makes no protocol call
        /// (and, the head being raw memory the session owns, no reference counting either).
        fileprivate let head: UnsafeRawBufferPointer
        fileprivate let separator: UInt8?
        /// Set while the outgoing queue is full: ticks are conflated instead of added.
        fileprivate(set) var isCongested = false
        /// Whether the hub's `waiting` list holds the session, and since when its oldest tick waits.
        var isWaiting = false
        var pendingSince: UInt64 = 0

        /// What `add` did with a fragment.
        enum Outcome {
            case added
            /// Added, and the session has to join the hub's `waiting` list.
            case addedFirst
            /// Not added: the session is congested and conflates.
            case congested
        }

        /// Appends one tick's fragment to the message.
        mutating func add(_ fragment: UnsafeRawBufferPointer, now: UInt64) -> Outcome {
            guard !isCongested else { return .congested }
            message.append(fragment: fragment, index: count, head: head, separator: separator)
            count += 1
            guard !isWaiting else { return .added }
            isWaiting = true
            pendingSince = now
            return .addedFirst
        }
    }

    init(id: UInt64, userID: UInt64?, protocolName: String, socket: WebSocket, encoding: any StreamEncoding, now: UInt64) {
        self.id = id
        self.userID = userID
        self.protocolName = protocolName
        self.socket = socket
        self.encoding = encoding
        batch = .allocate(capacity: 1)
        let layout = encoding.head
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: layout.count, alignment: 1)
        layout.withUnsafeBytes { head.copyMemory(from: $0) }
        batch.initialize(to: Batch(head: UnsafeRawBufferPointer(head), separator: encoding.separator))
        lastSend = now
    }

    deinit {
        batch.pointee.message.free()
        batch.pointee.head.deallocate()
        batch.deinitialize(count: 1)
        batch.deallocate()
    }

    /// Whether the hub's `waiting` list holds this session.
    var isWaiting: Bool { batch.pointee.isWaiting }

    /// Since when the oldest tick waits, while `isWaiting`.
    var pendingSince: UInt64 { batch.pointee.pendingSince }

    /// Whether any tick waits to be sent.
    var hasPending: Bool { batch.pointee.count > 0 || refused != nil || !latestOrder.isEmpty }

    /// Bytes waiting (roughly: the conflated fragments are not counted).
    var pendingBytes: Int { batch.pointee.message.payloadCount }

    /// Ticks waiting, for the dropped count when the session is closed.
    var pendingCount: Int { batch.pointee.count + (refused?.count ?? 0) + latestOrder.count }

    /// Queues one tick's fragment; true when the session has to join the hub's `waiting` list.
    @inline(__always)
    func add(_ fragment: UnsafeRawBufferPointer, token: UInt32, now: UInt64) -> Bool {
        switch batch.pointee.add(fragment, now: now) {
        case .added: return false
        case .addedFirst: return true
        case .congested:
            conflate(fragment, token: token)
            return false
        }
    }

    /// Keeps only the latest fragment of `token` while the queue is full.
    private func conflate(_ fragment: UnsafeRawBufferPointer, token: UInt32) {
        if latest.updateValue(Array(fragment), forKey: token) != nil {
            conflatedCount += 1
        } else {
            latestOrder.append(token)
        }
    }

    /// Marks the session as in the hub's `waiting` list since `now` (a congested session retried later).
    func startWaiting(now: UInt64) {
        batch.pointee.isWaiting = true
        batch.pointee.pendingSince = now
    }

    /// Hands what waits to the socket: the refused message, the message being built, then the
    /// conflated ticks. Returns false when the queue is still full and the session has been
    /// congested longer than `patience` nanoseconds. With `mayWriteDirectly` false the message
    /// being built goes through the connection's queue even when its socket is lent out.
    func flush(now: UInt64, patience: UInt64, mayWriteDirectly: Bool = true) -> Bool {
        batch.pointee.isWaiting = false
        if let (message, ticks) = refused {
            guard send(message, ticks: ticks, now: now) else { return keepsUp(now, patience) }
            refused = nil
        }
        if batch.pointee.count > 0 {
            encoding.finish(&batch.pointee.message, count: batch.pointee.count)
            let ticks = batch.pointee.count
            // Sent from the buffer itself; copied only if the queue refuses it.
            let isRefused = batch.pointee.message.withFrame(isBinary: encoding.isBinary) { frame in
                guard record(socket.outbox.enqueue(frame: frame, mayWriteDirectly: mayWriteDirectly), ticks: ticks, now: now) else {
                    refused = (StreamMessage(frame: Array(frame)), ticks)
                    return true
                }
                return false
            }
            batch.pointee.message.removeAll()
            batch.pointee.count = 0
            if isRefused { return keepsUp(now, patience) }
        }
        if !latestOrder.isEmpty {
            let conflated = encoding.message(joining: latestOrder.map { latest[$0]! })
            guard send(conflated, ticks: latestOrder.count, now: now) else {
                return keepsUp(now, patience)
            }
            latest.removeAll(keepingCapacity: true)
            latestOrder.removeAll(keepingCapacity: true)
        }
        batch.pointee.isCongested = false
        return true
    }

    /// Sends one message; on a full queue marks the session congested and returns false.
    private func send(_ message: StreamMessage, ticks: Int, now: UInt64) -> Bool {
        record(socket.send(message), ticks: ticks, now: now)
    }

    /// Counts what a send of `ticks` ticks did; on a full queue marks the session congested and returns false.
    private func record(_ result: SendResult, ticks: Int, now: UInt64) -> Bool {
        switch result {
        case .queued:
            deliveredCount += UInt64(ticks)
            lastSend = now
            return true
        case .closed:
            return true
        case .queueFull:
            if !batch.pointee.isCongested {
                batch.pointee.isCongested = true
                congestedSince = now
            }
            return false
        }
    }

    private func keepsUp(_ now: UInt64, _ patience: UInt64) -> Bool {
        !batch.pointee.isCongested || now &- congestedSince < patience
    }
}
