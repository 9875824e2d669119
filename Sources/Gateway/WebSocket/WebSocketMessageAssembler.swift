/// Joins fragmented frames into messages, validating text as UTF-8 across fragments and enforcing a size limit.
///
/// Owned by one connection on its event loop thread; a pure state machine (RFC 6455 §5.4, §5.6, §8.1).
public struct WebSocketMessageAssembler: Sendable {
    /// The largest message accepted after reassembly; larger fails with 1009 (RFC 6455 §7.4.1).
    public let maxMessageBytes: Int
    private var fragmentedOpcode: WebSocketOpcode?
    private var fragments: [UInt8] = []
    private var validator = UTF8Validator()

    /// Makes an assembler with a message size limit.
    public init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Takes the next frame; returns a message when one completes, or throws the close code that fails the connection.
    public mutating func assemble(_ frame: WebSocketFrame) throws(WebSocketError) -> WebSocketMessage? {
        switch frame.opcode {
        case .ping:
            return .ping(frame.payload)
        case .pong:
            return .pong(frame.payload)
        case .close:
            return try closeMessage(frame.payload)
        case .text, .binary:
            // §5.4: a new data message may not start while another is still fragmented.
            guard fragmentedOpcode == nil else { throw WebSocketError(.protocolError, "A new message started before the previous one finished.") }
            fragmentedOpcode = frame.opcode
            fragments = []
            validator = UTF8Validator()
            return try appendFragment(frame)
        case .continuation:
            // §5.4: a continuation frame needs a message to continue.
            guard fragmentedOpcode != nil else { throw WebSocketError(.protocolError, "A continuation frame arrived with no message to continue.") }
            return try appendFragment(frame)
        default:
            throw WebSocketError(.protocolError, "Opcode \(frame.opcode.rawValue) is reserved.")
        }
    }

    private mutating func appendFragment(_ frame: WebSocketFrame) throws(WebSocketError) -> WebSocketMessage? {
        guard let opcode = fragmentedOpcode else { return nil }
        guard frame.payload.count <= maxMessageBytes - fragments.count else {
            throw WebSocketError(.messageTooBig, "A message is larger than \(maxMessageBytes) bytes.")
        }
        // §8.1: invalid UTF-8 in text fails the connection with 1007, checked per fragment so it fails fast.
        if opcode == .text, !validator.consume(frame.payload) {
            throw WebSocketError(.invalidFramePayloadData, "A text message is not valid UTF-8.")
        }
        fragments += frame.payload
        guard frame.isFinal else { return nil }
        defer {
            fragmentedOpcode = nil
            fragments = []
        }
        guard opcode == .text else { return .binary(fragments) }
        guard validator.isAtCharacterBoundary else {
            throw WebSocketError(.invalidFramePayloadData, "A text message ends inside a UTF-8 sequence.")
        }
        return .text(String(decoding: fragments, as: UTF8.self))
    }

    /// Reads a close frame's code and reason (§5.5.1).
    private func closeMessage(_ payload: [UInt8]) throws(WebSocketError) -> WebSocketMessage {
        if payload.isEmpty { return .close(nil, "") }
        guard payload.count >= 2 else { throw WebSocketError(.protocolError, "A close frame has a one-byte payload.") }
        let code = WebSocketCloseCode(rawValue: UInt16(payload[0]) << 8 | UInt16(payload[1]))
        // §7.4: codes outside the registered and private ranges, and the never-sent 1005/1006/1015, are protocol errors.
        guard code.isSendable else { throw WebSocketError(.protocolError, "Close code \(code.rawValue) may not be sent.") }
        guard let reason = String(validating: payload[2...], as: UTF8.self) else {
            throw WebSocketError(.invalidFramePayloadData, "A close reason is not valid UTF-8.")
        }
        return .close(code, reason)
    }
}
