/// A WebSocket protocol failure: the close code to send and why (RFC 6455 §7.1.7); usable from any thread.
public struct WebSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The close code that fails the connection.
    public var code: WebSocketCloseCode
    /// The reason sent in the close frame (kept under 123 bytes so it fits a control frame).
    public var reason: String

    /// Makes an error with its close code and reason.
    public init(_ code: WebSocketCloseCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The code and reason, for logs.
    public var description: String { "\(code.rawValue) \(reason)" }
}
