/// A KiteTicker packet that cannot be encoded or decoded, or a client message that cannot be understood;
/// each case says what was wrong and where. A value type, usable from any thread.
public enum KiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A price is negative, not finite, or too large for the unsigned 32-bit field after scaling by the segment's divisor.
    case priceOutOfRange(token: UInt32, field: String, value: Double)
    /// More depth levels than a full packet holds (`KiteQuote.depthLevels` per side).
    case tooManyDepthLevels(token: UInt32, side: String, count: Int)
    /// More packets than a frame's 16-bit count can say.
    case tooManyPackets(Int)
    /// The frame ended before the count, a length or a packet it announced.
    case truncatedFrame(offset: Int, needed: Int, available: Int)
    /// A packet length that is none of 8, 28, 32, 44 or 184.
    case unknownPacketLength(Int, offset: Int)
    /// Bytes after the last packet the frame's count announced.
    case trailingBytes(offset: Int, count: Int)
    /// A client text frame that is not valid JSON; `offset` is the byte where reading stopped.
    case malformedJSON(offset: Int, reason: String)
    /// Valid JSON that is not `{"a": action, "v": value}` with the value the action needs.
    case invalidMessage(String)
    /// An `"a"` other than subscribe, unsubscribe or mode.
    case unknownAction(String)
    /// A mode other than ltp, quote or full.
    case unknownMode(String)
    /// A token that is not a JSON integer from 0 to 4294967295; carries the offending JSON, shortened.
    case invalidToken(String)

    /// A sentence naming the problem, fit to send back in an error text frame.
    public var description: String {
        switch self {
        case .priceOutOfRange(let token, let field, let value):
            "Cannot encode \(field) \(value) of instrument \(token): prices must be finite, non-negative and fit 32 bits after scaling."
        case .tooManyDepthLevels(let token, let side, let count):
            "Cannot encode \(count) \(side) depth levels of instrument \(token): a full packet holds \(KiteQuote.depthLevels)."
        case .tooManyPackets(let count):
            "Cannot frame \(count) packets: a frame holds at most 65535."
        case .truncatedFrame(let offset, let needed, let available):
            "The frame is truncated at byte \(offset): \(needed) bytes needed, \(available) left."
        case .unknownPacketLength(let length, let offset):
            "The packet at byte \(offset) is \(length) bytes long; KiteTicker packets are 8, 28, 32, 44 or 184 bytes."
        case .trailingBytes(let offset, let count):
            "The frame has \(count) bytes after its last packet, from byte \(offset)."
        case .malformedJSON(let offset, let reason):
            "The message is not valid JSON: \(reason) at byte \(offset)."
        case .invalidMessage(let reason):
            "Invalid message: \(reason)."
        case .unknownAction(let action):
            "Unknown action \"\(action)\": use subscribe, unsubscribe or mode."
        case .unknownMode(let mode):
            "Unknown mode \"\(mode)\": use ltp, quote or full."
        case .invalidToken(let json):
            "Invalid instrument token \(json): tokens are integers from 0 to 4294967295."
        }
    }
}
