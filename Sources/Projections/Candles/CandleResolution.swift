import EventLog

/// The bar sizes the candles projection keeps. Buckets are aligned in UTC from the epoch:
/// a bar starts at `floor(time / size) * size`, so 1D bars run midnight to midnight UTC
/// (Indian sessions fit inside one UTC day) and 1h bars start on the UTC hour.
public enum CandleResolution: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case oneHour = "1h"
    case oneDay = "1D"

    /// Parses `1m`, `5m`, `15m`, `1h`, `1D`, and `D` for a day (TradingView's spelling); nil otherwise.
    public init?(parsing text: some StringProtocol) {
        if text == "D" {
            self = .oneDay
        } else {
            self.init(rawValue: String(text))
        }
    }

    /// The bar length in seconds.
    public var seconds: Int64 {
        switch self {
        case .oneMinute: 60
        case .fiveMinutes: 300
        case .fifteenMinutes: 900
        case .oneHour: 3_600
        case .oneDay: 86_400
        }
    }

    /// The bar length in nanoseconds, the unit of `Timestamp`.
    public var nanoseconds: Int64 { seconds * 1_000_000_000 }

    /// The start of the bar containing `time`: floor division, so times before 1970 work too.
    /// Saturates at `Int64.min` instead of trapping for times within one bar of the limit.
    public func bucketStart(of time: Timestamp) -> Timestamp {
        Timestamp(rawValue: Self.bucketStart(time.rawValue, size: nanoseconds))
    }

    @inline(__always)
    static func bucketStart(_ nanoseconds: Int64, size: Int64) -> Int64 {
        let remainder = nanoseconds % size
        let (start, overflow) = nanoseconds.subtractingReportingOverflow(remainder < 0 ? remainder + size : remainder)
        return overflow ? .min : start
    }

    /// Position in `allCases`: the projection keeps a token's series in this order.
    var index: Int {
        switch self {
        case .oneMinute: 0
        case .fiveMinutes: 1
        case .fifteenMinutes: 2
        case .oneHour: 3
        case .oneDay: 4
        }
    }

    /// The resolution `seconds` long, for rows read back from SQLite.
    init?(seconds: Int64) {
        guard let match = Self.allCases.first(where: { $0.seconds == seconds }) else { return nil }
        self = match
    }

    public var description: String { rawValue }
}
