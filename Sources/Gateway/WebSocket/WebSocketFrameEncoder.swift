/// Encodes WebSocket frames for the wire (RFC 6455 §5.2); stateless, usable from any thread.
public enum WebSocketFrameEncoder {
    /// The frame's bytes: unmasked as a server sends them, or masked with `maskingKey` as a client must (§5.3).
    public static func encode(_ frame: WebSocketFrame, maskingKey: [UInt8]? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frame.payload.count + 14)
        bytes.append((frame.isFinal ? 0x80 : 0) | frame.opcode.rawValue)
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        let count = frame.payload.count
        // §5.2: 7-bit length up to 125, else 126 + 16-bit, else 127 + 64-bit, always the shortest form.
        switch count {
        case 0...125:
            bytes.append(maskBit | UInt8(count))
        case 126...0xFFFF:
            bytes.append(maskBit | 126)
            bytes += [UInt8(count >> 8), UInt8(truncatingIfNeeded: count)]
        default:
            bytes.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: UInt64(count) >> UInt64(shift))) }
        }
        if let maskingKey, maskingKey.count == 4 {
            bytes += maskingKey
            for (index, byte) in frame.payload.enumerated() { bytes.append(byte ^ maskingKey[index & 3]) }
        } else {
            bytes += frame.payload
        }
        return bytes
    }

    /// How long an unmasked frame header is for `payloadCount` bytes: 2, 4 or 10 (§5.2, shortest form).
    static func headerLength(payloadCount: Int) -> Int {
        switch payloadCount {
        case 0...125: 2
        case 126...0xFFFF: 4
        default: 10
        }
    }

    /// Writes the header of an unmasked final frame (`headerLength(payloadCount:)` bytes) at `destination`.
    static func writeHeader(_ opcode: WebSocketOpcode, payloadCount: Int, to destination: UnsafeMutableRawPointer) {
        destination.storeBytes(of: 0x80 | opcode.rawValue, as: UInt8.self)
        switch headerLength(payloadCount: payloadCount) {
        case 2:
            destination.storeBytes(of: UInt8(payloadCount), toByteOffset: 1, as: UInt8.self)
        case 4:
            destination.storeBytes(of: 126, toByteOffset: 1, as: UInt8.self)
            destination.storeBytes(of: UInt16(payloadCount).bigEndian, toByteOffset: 2, as: UInt16.self)
        default:
            destination.storeBytes(of: 127, toByteOffset: 1, as: UInt8.self)
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
