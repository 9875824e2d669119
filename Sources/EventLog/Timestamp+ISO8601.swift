/// ISO 8601 text for timestamps (UTC, RFC 3339 profile), for reports people read and flags they type.
extension Timestamp {
    /// `2026-11-27T09:15:00.123Z`: UTC with milliseconds (truncated towards the past).
    public var iso8601: String {
        let day = CalendarDay(containing: self)
        let inDay = rawValue - day.start.rawValue
        let seconds = inDay / 1_000_000_000
        let millis = (inDay % 1_000_000_000) / 1_000_000
        return "\(day)T\(Self.pad(seconds / 3600, 2)):\(Self.pad(seconds / 60 % 60, 2)):\(Self.pad(seconds % 60, 2)).\(Self.pad(millis, 3))Z"
    }

    /// Parses `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM[:SS[.fraction]][Z]` (UTC; a trailing `Z` is
    /// optional, other offsets are refused) or Unix seconds (`1764300000`, `1764300000.5`).
    public init?(iso8601 text: String) {
        if let seconds = Double(text), seconds.isFinite {
            self.init(seconds: seconds)
            return
        }
        var body = Substring(text)
        if body.hasSuffix("Z") || body.hasSuffix("z") { body = body.dropLast() }
        let parts = body.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
        guard let dayText = parts.first, let day = CalendarDay(iso: dayText) else { return nil }
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

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
