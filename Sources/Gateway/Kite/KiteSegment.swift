/// The exchange segment in the low byte of an instrument token (`token & 0xff`); a value type, usable from any thread.
public struct KiteSegment: RawRepresentable, Hashable, Sendable {
    /// The segment code.
    public let rawValue: UInt8

    /// Wraps a segment code.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The segment an instrument token belongs to.
    public init(token: UInt32) { rawValue = UInt8(truncatingIfNeeded: token) }

    public static let nse = KiteSegment(rawValue: 1)
    public static let nfo = KiteSegment(rawValue: 2)
    public static let cds = KiteSegment(rawValue: 3)
    public static let bse = KiteSegment(rawValue: 4)
    public static let bfo = KiteSegment(rawValue: 5)
    public static let bcd = KiteSegment(rawValue: 6)
    public static let mcx = KiteSegment(rawValue: 7)
    public static let mcxsx = KiteSegment(rawValue: 8)
    public static let indices = KiteSegment(rawValue: 9)
    /// NCDEX commodities; the official Python client prices it like BCD.
    public static let nco = KiteSegment(rawValue: 12)

    /// What a wire price is divided by to get rupees: currency derivatives carry more decimals.
    public var priceDivisor: Double {
        switch self {
        case .cds: 10_000_000
        case .bcd, .nco: 10_000
        default: 100
        }
    }

    /// Whether the segment holds indices, which stream the short index packets and cannot be traded.
    public var isIndex: Bool { self == .indices }
}
