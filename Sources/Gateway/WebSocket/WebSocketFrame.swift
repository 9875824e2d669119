/// One WebSocket frame with its payload already unmasked (RFC 6455 §5.2); a value type, usable from any thread.
public struct WebSocketFrame: Sendable, Equatable {
    /// Whether this is the final fragment of a message.
    public var isFinal: Bool
    /// The frame type.
    public var opcode: WebSocketOpcode
    /// The application data.
    public var payload: [UInt8]

    /// Makes a frame.
    public init(isFinal: Bool = true, opcode: WebSocketOpcode, payload: [UInt8] = []) {
        self.isFinal = isFinal
        self.opcode = opcode
        self.payload = payload
    }
}
