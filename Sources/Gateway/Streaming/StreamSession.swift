import EventLog
import Foundation

/// One streaming WebSocket connection as the hub sees it: its subscriptions, and the ticks
/// waiting for the next send.
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

    /// Fragments waiting to be sent, in log order; `pendingTokens[i]` is the token of `pending[i]`.
    var pending: [[UInt8]] = []
    var pendingTokens: [UInt32] = []
    /// While congested: the index in `pending` of each token's latest fragment (conflation).
    var latestIndex: [UInt32: Int] = [:]
    /// Bytes in `pending`.
    var pendingBytes = 0
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

    /// Queues one tick's fragment; while congested, replaces the token's older waiting fragment.
    func add(_ fragment: [UInt8], token: UInt32) {
        if congestedSince != nil, let index = latestIndex[token] {
            pendingBytes += fragment.count - pending[index].count
            pending[index] = fragment
            conflatedCount += 1
            return
        }
        if congestedSince != nil { latestIndex[token] = pending.count }
        pending.append(fragment)
        pendingTokens.append(token)
        pendingBytes += fragment.count
    }

    /// Tries to hand the waiting fragments to the socket as one message.
    /// Returns false when the queue is full and the session has been congested longer than `patience`.
    func flush(now: ContinuousClock.Instant, patience: Duration) -> Bool {
        isWaiting = false
        guard !pending.isEmpty else { return true }
        let message = encoding.message(joining: pending)
        switch socket.send(message) {
        case .queued:
            deliveredCount += UInt64(pending.count)
            pending.removeAll(keepingCapacity: true)
            pendingTokens.removeAll(keepingCapacity: true)
            pendingBytes = 0
            latestIndex.removeAll(keepingCapacity: true)
            congestedSince = nil
            lastSend = now
            return true
        case .closed:
            return true
        case .queueFull:
            if congestedSince == nil {
                congestedSince = now
                conflate()
            }
            return now - congestedSince! < patience
        }
    }

    /// Keeps only the latest waiting fragment of each token, in the order of their last ticks.
    private func conflate() {
        var latest: [UInt32: Int] = [:]
        for (index, token) in pendingTokens.enumerated() { latest[token] = index }
        guard latest.count < pending.count else {
            latestIndex = latest
            return
        }
        var keptFragments: [[UInt8]] = [], keptTokens: [UInt32] = []
        latestIndex = [:]
        for (index, token) in pendingTokens.enumerated() where latest[token] == index {
            latestIndex[token] = keptFragments.count
            keptFragments.append(pending[index])
            keptTokens.append(token)
        }
        conflatedCount += UInt64(pending.count - keptFragments.count)
        pendingBytes = keptFragments.reduce(0) { $0 + $1.count }
        pending = keptFragments
        pendingTokens = keptTokens
    }
}
