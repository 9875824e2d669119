/// A complete WebSocket message or control frame as the application sees it; a value type, usable from any thread.
public enum WebSocketMessage: Sendable, Equatable {
    /// A text message, already validated as UTF-8.
    case text(String)
    /// A binary message.
    case binary([UInt8])
    /// A ping with its application data, to be answered with a pong (RFC 6455 §5.5.2).
    case ping([UInt8])
    /// A pong.
    case pong([UInt8])
    /// A close frame with its code (nil when the frame carried none) and reason (RFC 6455 §5.5.1).
    case close(WebSocketCloseCode?, String)
}
