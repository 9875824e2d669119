/// Encodes WebSocket frames for the wire (RFC 6455 §5.2); stateless, usable from any thread.
public enum WebSocketFrameEncoder {
    /// The frame's bytes: unmasked as a server sends them, or masked with `maskingKey` as a client must (§5.3).
    public static func encode(_ frame: WebSocketFrame, maskingKey: [UInt8]? = nil) -> [UInt8] {
        let count = frame.payload.count
        var bytes = [UInt8](repeating: 0, count: headerLength(payloadCount: count))
        bytes.reserveCapacity(bytes.count + 4 + count)
        bytes.withUnsafeMutableBytes { header in
            writeHeader(first: (frame.isFinal ? 0x80 : 0) | frame.opcode.rawValue, isMasked: maskingKey != nil,
                        payloadCount: count, to: header.baseAddress!)
        }
        if let maskingKey, maskingKey.count == 4 {
            bytes += maskingKey
            for (index, byte) in frame.payload.enumerated() { bytes.append(byte ^ maskingKey[index & 3]) }
        } else {
            bytes += frame.payload
        }
        return bytes
    }

    /// How long a frame header is for `payloadCount` bytes, without a masking key: 2, 4 or 10 (§5.2, shortest form).
    static func headerLength(payloadCount: Int) -> Int {
        switch payloadCount {
        case 0...125: 2
        case 126...0xFFFF: 4
        default: 10
        }
    }

    /// Writes the header of an unmasked final frame (`headerLength(payloadCount:)` bytes) at `destination`.
    static func writeHeader(_ opcode: WebSocketOpcode, payloadCount: Int, to destination: UnsafeMutableRawPointer) {
        writeHeader(first: 0x80 | opcode.rawValue, isMasked: false, payloadCount: payloadCount, to: destination)
    }

    /// Writes a header's first byte, then the mask bit with the payload length: 7 bits up to
    /// 125, else 126 and 16 bits, else 127 and 64 bits, always the shortest form (§5.2).
    private static func writeHeader(first: UInt8, isMasked: Bool, payloadCount: Int, to destination: UnsafeMutableRawPointer) {
        destination.storeBytes(of: first, as: UInt8.self)
        let maskBit: UInt8 = isMasked ? 0x80 : 0
        switch headerLength(payloadCount: payloadCount) {
        case 2:
            destination.storeBytes(of: maskBit | UInt8(payloadCount), toByteOffset: 1, as: UInt8.self)
        case 4:
            destination.storeBytes(of: maskBit | 126, toByteOffset: 1, as: UInt8.self)
            destination.storeBytes(of: UInt16(payloadCount).bigEndian, toByteOffset: 2, as: UInt16.self)
        default:
            destination.storeBytes(of: maskBit | 127, toByteOffset: 1, as: UInt8.self)
            destination.storeBytes(of: UInt64(payloadCount).bigEndian, toByteOffset: 2, as: UInt64.self)
        }
    }

    /// The payload of a close frame: the code in network order, then the UTF-8 reason cut to fit 125 bytes (§5.5.1).
    public static func closePayload(code: WebSocketCloseCode, reason: String) -> [UInt8] {
        var reasonBytes = Array(reason.utf8.prefix(123))
        // Cutting may split a character; drop the partial tail so the reason stays valid UTF-8 (§5.5.1).
        while String(validating: reasonBytes, as: UTF8.self) == nil { reasonBytes.removeLast() }
        return [UInt8(code.rawValue >> 8), UInt8(truncatingIfNeeded: code.rawValue)] + reasonBytes
    }
}
