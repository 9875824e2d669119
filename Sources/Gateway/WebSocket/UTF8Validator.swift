/// A streaming UTF-8 validator that keeps its place across fragments (RFC 3629 §4); a value type owned by its caller.
///
/// Checking each fragment as it arrives lets a text message with invalid UTF-8 fail fast (RFC 6455 §8.1).
struct UTF8Validator: Sendable {
    private var pendingContinuations = 0
    private var lowerBound: UInt8 = 0x80
    private var upperBound: UInt8 = 0xBF

    /// Whether the bytes so far end on a character boundary.
    var isAtCharacterBoundary: Bool { pendingContinuations == 0 }

    /// Consumes more bytes; returns false at the first byte that cannot continue a valid sequence.
    mutating func consume(_ bytes: some Sequence<UInt8>) -> Bool {
        for byte in bytes {
            if pendingContinuations > 0 {
                guard (lowerBound...upperBound).contains(byte) else { return false }
                pendingContinuations -= 1
                (lowerBound, upperBound) = (0x80, 0xBF)
                continue
            }
            // RFC 3629 §4: the first continuation byte's range excludes overlongs, surrogates and code points past U+10FFFF.
            switch byte {
            case 0x00...0x7F: break
            case 0xC2...0xDF: pendingContinuations = 1
            case 0xE0: (pendingContinuations, lowerBound) = (2, 0xA0)
            case 0xE1...0xEC, 0xEE...0xEF: pendingContinuations = 2
            case 0xED: (pendingContinuations, upperBound) = (2, 0x9F)
            case 0xF0: (pendingContinuations, lowerBound) = (3, 0x90)
            case 0xF1...0xF3: pendingContinuations = 3
            case 0xF4: (pendingContinuations, upperBound) = (3, 0x8F)
            default: return false
            }
        }
        return true
    }
}
