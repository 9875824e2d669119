/// A handle for sending a streamed response body from any thread; thread-safe through the connection's locked outbox.
public struct HTTPBodyWriter: Sendable {
    let outbox: ConnectionOutbox

    /// Sends bytes as one chunk; an empty write sends nothing (a zero-size chunk would end the body, RFC 9112 §7.1).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> SendResult {
        guard !bytes.isEmpty else { return outbox.isClosed ? .closed : .queued }
        return outbox.enqueue(.bodyChunk(bytes))
    }

    /// Sends text as UTF-8.
    @discardableResult
    public func write(_ text: String) -> SendResult {
        write(Array(text.utf8))
    }

    /// Whether the connection still takes data; false once the body ended or the client went away, so a producer can stop.
    public var isOpen: Bool { !outbox.isClosed }

    /// Ends the body; the connection then reads the next request.
    public func finish() {
        _ = outbox.enqueue(.bodyEnd)
    }
}
