/// A set of event type codes as a 256-bit mask: membership is two shifts and an AND, cheap
/// enough to test on every record of a scan that skips the types nobody asked for.
public struct EventTypeMask: Hashable, Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The mask of `types`.
    public init(_ types: some Sequence<EventType>) {
        for type in types { insert(type) }
    }

    public mutating func insert(_ type: EventType) {
        let bit = UInt64(1) << UInt64(type.rawValue & 63)
        switch type.rawValue >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    /// Whether records of type code `code` are in the set.
    @inline(__always)
    public func contains(code: UInt8) -> Bool {
        let word: UInt64 = switch code >> 6 {
        case 0: words.0
        case 1: words.1
        case 2: words.2
        default: words.3
        }
        return word & (UInt64(1) << UInt64(code & 63)) != 0
    }

    public func contains(_ type: EventType) -> Bool { contains(code: type.rawValue) }

    public static func == (a: EventTypeMask, b: EventTypeMask) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
