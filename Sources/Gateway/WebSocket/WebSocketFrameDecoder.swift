/// An incremental decoder of client-to-server WebSocket frames (RFC 6455 §5.2) that does no I/O.
///
/// Owned by one connection on its event loop thread; as a value type a test can feed it one byte at a time.
public struct WebSocketFrameDecoder: Sendable {
    /// The largest payload accepted in a single frame; larger fails with 1009 before the payload is buffered.
    public let maxFrameBytes: Int
    /// Whether frames must be masked; a server requires it (RFC 6455 §5.1).
    public let requiresMask: Bool
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: WebSocketError?

    /// Makes a decoder with a per-frame payload limit.
    public init(maxFrameBytes: Int, requiresMask: Bool = true) {
        self.maxFrameBytes = maxFrameBytes
        self.requiresMask = requiresMask
    }

    /// Adds received bytes; call `next()` until it returns nil.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if readIndex > 4096, readIndex * 2 > buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The bytes received but not yet returned as a frame: at most a header and `maxFrameBytes` while waiting.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Returns the next complete frame, nil when more bytes are needed, or throws the close code that fails the connection.
    public mutating func next() throws(WebSocketError) -> WebSocketFrame? {
        if let failure { throw failure }
        do {
            return try decodeFrame()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func decodeFrame() throws(WebSocketError) -> WebSocketFrame? {
        let available = buffer.count - readIndex
        guard available >= 1 else { return nil }
        let first = buffer[readIndex]
        // §5.2: RSV1-3 MUST be 0 unless an extension defines them; none is negotiated here.
        guard first & 0x70 == 0 else { throw WebSocketError(.protocolError, "Reserved bits are set without an extension.") }
        let opcode = WebSocketOpcode(rawValue: first & 0x0F)
        // §5.2: a reserved opcode MUST fail the connection.
        guard opcode.isDefined else { throw WebSocketError(.protocolError, "Opcode \(opcode.rawValue) is reserved.") }
        let isFinal = first & 0x80 != 0
        // §5.5: control frames MUST NOT be fragmented.
        if opcode.isControl, !isFinal { throw WebSocketError(.protocolError, "A control frame is fragmented.") }
        guard available >= 2 else { return nil }
        let second = buffer[readIndex + 1]
        let isMasked = second & 0x80 != 0
        // §5.1: a server MUST close the connection when a client frame is not masked.
        if requiresMask, !isMasked { throw WebSocketError(.protocolError, "Client frames must be masked.") }
        let shortLength = Int(second & 0x7F)
        // §5.5: control frame payloads are at most 125 bytes.
        if opcode.isControl, shortLength > 125 { throw WebSocketError(.protocolError, "A control frame payload exceeds 125 bytes.") }
        var headerLength = 2
        let payloadLength: Int
        switch shortLength {
        case 126:
            guard available >= 4 else { return nil }
            payloadLength = Int(buffer[readIndex + 2]) << 8 | Int(buffer[readIndex + 3])
            // §5.2: the minimal number of bytes MUST be used to encode the length.
            guard payloadLength >= 126 else { throw WebSocketError(.protocolError, "A payload length is not minimally encoded.") }
            headerLength = 4
        case 127:
            guard available >= 10 else { return nil }
            let length = buffer[(readIndex + 2)..<(readIndex + 10)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            // §5.2: the most significant bit of a 64-bit length MUST be 0.
            guard length >> 63 == 0 else { throw WebSocketError(.protocolError, "A 64-bit payload length has its high bit set.") }
            guard length > 0xFFFF else { throw WebSocketError(.protocolError, "A payload length is not minimally encoded.") }
            guard length <= UInt64(maxFrameBytes) else { throw tooBig }
            payloadLength = Int(length)
            headerLength = 10
        default:
            payloadLength = shortLength
        }
        guard payloadLength <= maxFrameBytes else { throw tooBig }
        let maskLength = isMasked ? 4 : 0
        guard available >= headerLength + maskLength + payloadLength else { return nil }
        let maskStart = readIndex + headerLength
        let payloadStart = maskStart + maskLength
        var payload = Array(buffer[payloadStart..<(payloadStart + payloadLength)])
        if isMasked {
            // §5.3: octet i is XORed with mask octet i mod 4.
            let mask = (buffer[maskStart], buffer[maskStart + 1], buffer[maskStart + 2], buffer[maskStart + 3])
            for index in payload.indices {
                switch index & 3 {
                case 0: payload[index] ^= mask.0
                case 1: payload[index] ^= mask.1
                case 2: payload[index] ^= mask.2
                default: payload[index] ^= mask.3
                }
            }
        }
        readIndex = payloadStart + payloadLength
        return WebSocketFrame(isFinal: isFinal, opcode: opcode, payload: payload)
    }

    private var tooBig: WebSocketError {
        WebSocketError(.messageTooBig, "A frame is larger than \(maxFrameBytes) bytes.")
    }
}
