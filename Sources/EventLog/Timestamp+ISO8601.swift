/// ISO 8601 text for timestamps (UTC, RFC 3339 profile), for reports people read and flags they type.
extension Timestamp {
    /// `2026-11-27T09:15:00.123Z`: UTC with milliseconds (truncated towards the past). Total over the
    /// whole range, `Timestamp(rawValue: .min)` included.
    public var iso8601: String {
        var seconds = rawValue / 1_000_000_000, nanos = rawValue % 1_000_000_000
        if nanos < 0 { seconds -= 1; nanos += 1_000_000_000 }
        var days = seconds / 86_400, inDay = seconds % 86_400
        if inDay < 0 { days -= 1; inDay += 86_400 }
        let day = CalendarDay(rawValue: Int32(days))
        return "\(day)T\(Self.pad(inDay / 3600, 2)):\(Self.pad(inDay / 60 % 60, 2)):\(Self.pad(inDay % 60, 2)).\(Self.pad(nanos / 1_000_000, 3))Z"
    }

    /// Parses `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM[:SS[.fraction]][Z]` (UTC; a trailing `Z` is
    /// optional, other offsets are refused) or Unix seconds (`1764300000`, `1764300000.5`, exact to the nanosecond).
    public init?(iso8601 text: String) {
        if let nanoseconds = Self.unixNanoseconds(text) {
            self.init(nanoseconds: nanoseconds)
            return
        }
        var body = Substring(text)
        if body.hasSuffix("Z") || body.hasSuffix("z") { body = body.dropLast() }
        let parts = body.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
        // Days beyond ±106,750 from 1970 (about 292 years) do not fit in nanoseconds.
        guard let dayText = parts.first, let day = CalendarDay(iso: dayText), abs(day.rawValue) < 106_750 else { return nil }
        var nanos: Int64 = 0
        if parts.count == 2 {
            let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            guard (2...3).contains(clock.count), clock[0].count == 2, clock[1].count == 2,
                  let hours = Int64(clock[0]), let minutes = Int64(clock[1]), (0...23).contains(hours), (0...59).contains(minutes)
            else { return nil }
            nanos = (hours * 3600 + minutes * 60) * 1_000_000_000
            if clock.count == 3 {
                let secondParts = clock[2].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
                guard secondParts[0].count == 2, let seconds = Int64(secondParts[0]), (0...59).contains(seconds) else { return nil }
                nanos += seconds * 1_000_000_000
                if secondParts.count == 2 {
                    let digits = secondParts[1]
                    guard (1...9).contains(digits.count), digits.allSatisfy(\.isASCII), let fraction = Int64(digits) else { return nil }
                    var scale: Int64 = 1
                    for _ in digits.count..<9 { scale *= 10 }
                    nanos += fraction * scale
                }
            }
        }
        self.init(nanoseconds: day.start.rawValue + nanos)
    }

    /// Exact nanoseconds of `[-]seconds[.fraction]` (up to nine fractional digits), or nil.
    private static func unixNanoseconds(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0], isNegative = whole.hasPrefix("-")
        let digits = isNegative ? whole.dropFirst() : whole
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int64(digits) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let f = parts[1]
            guard (1...9).contains(f.count), f.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(f) else { return nil }
            fraction = value
            for _ in f.count..<9 { fraction *= 10 }
        }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflow2) = scaled.addingReportingOverflow(fraction)
        guard !overflow, !overflow2 else { return nil }
        return isNegative ? -total : total
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
