/// A thread-safe handle for sending on one WebSocket connection from any thread.
///
/// Sends go through the connection's bounded outgoing queue (lock-guarded): when the peer reads too slowly the
/// queue fills and sends return `.queueFull`, so a ticker can drop or disconnect a slow consumer instead of growing memory.
public final class WebSocket: Sendable {
    /// An id unique among this server's open connections, for keeping subscriber tables.
    public let id: UInt64
    /// The handshake request (path, query, headers) that opened the connection.
    public let request: HTTPRequest
    let outbox: ConnectionOutbox

    init(id: UInt64, request: HTTPRequest, outbox: ConnectionOutbox) {
        self.id = id
        self.request = request
        self.outbox = outbox
    }

    /// Sends a text message.
    @discardableResult
    public func send(text: String) -> SendResult {
        outbox.enqueue(.webSocketFrame(WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .text, payload: Array(text.utf8)))))
    }

    /// Sends a binary message.
    @discardableResult
    public func send(binary: [UInt8]) -> SendResult {
        outbox.enqueue(.webSocketFrame(WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .binary, payload: binary))))
    }

    /// Starts the closing handshake (RFC 6455 §7.1.2); the connection closes when the peer answers or after a timeout.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") {
        _ = outbox.enqueue(.webSocketClose(code, reason))
    }

    /// Whether the connection is still open for sending.
    public var isOpen: Bool { !outbox.isClosed }
}
