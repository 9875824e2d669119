import EventLog

/// What the event loop tells a replay thread (pause, seek, stop) and what the thread tells it back (ended);
/// a value shared in a `Monitor`, where the thread waits for it to change.
struct ReplayControl: Sendable {
    var isPaused = false
    var seek: ReplaySeek?
    var isStopped = false
    /// The replay reached its end and waits for a seek.
    var hasEnded = false

    /// Why a pass stopped before the end of its range.
    enum Interruption: Error {
        case stopped
        case seek(ReplaySeek)
    }
}

extension Monitor where State == ReplayControl {
    /// Queues `message` on `socket`, waiting (a few ms at a time, woken at once by a stop) while the
    /// connection's queue is full: the replay's backpressure. Throws `.stopped` once the connection closed.
    func send(_ message: StreamMessage, to socket: WebSocket) throws(ReplayControl.Interruption) {
        while true {
            switch socket.send(message) {
            case .queued: return
            case .closed: throw .stopped
            case .queueFull:
                let isStopped = wait(until: { $0.isStopped }, timeout: .milliseconds(2)) { $0.isStopped }
                if isStopped { throw .stopped }
            }
        }
    }
}
