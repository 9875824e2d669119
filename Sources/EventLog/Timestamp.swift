import Foundation

/// A point in time as nanoseconds since the Unix epoch (UTC); the log's only notion of time.
public struct Timestamp: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(nanoseconds: Int64) { self.rawValue = nanoseconds }
    /// Rounds to the nearest nanosecond; seconds outside ±292 years clamp to the representable range.
    public init(seconds: Double) {
        let nanos = (seconds * 1e9).rounded()
        self.rawValue = nanos >= 9.2e18 ? .max : nanos <= -9.2e18 ? .min : Int64(nanos)
    }

    public var nanoseconds: Int64 { rawValue }
    public var seconds: Double { Double(rawValue) / 1e9 }
    /// Whole seconds, rounded towards negative infinity.
    public var wholeSeconds: Int64 { rawValue >= 0 ? rawValue / 1_000_000_000 : (rawValue - 999_999_999) / 1_000_000_000 }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.rawValue < b.rawValue }
    public static let zero = Timestamp(rawValue: 0)
    public var description: String { String(rawValue) }
}

/// A calendar day (UTC, proleptic Gregorian) as days since 1970-01-01, e.g. an instrument's expiry.
public struct CalendarDay: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// Civil-from-days inverse (Howard Hinnant's algorithm), valid for any Gregorian date.
    public init(year: Int, month: Int, day: Int) {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        self.rawValue = Int32(era * 146_097 + doe - 719_468)
    }

    /// Parses `YYYY-MM-DD`; returns nil for anything else, including impossible dates.
    public init?(iso text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        self.init(year: y, month: m, day: d)
        guard components == (y, m, d) else { return nil }
    }

    /// The day containing `time` (UTC).
    public init(containing time: Timestamp) {
        let seconds = time.wholeSeconds
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        self.rawValue = Int32(truncatingIfNeeded: days)
    }

    public var components: (year: Int, month: Int, day: Int) {
        let z = Int(rawValue) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Midnight UTC at the start of this day. A timestamp reaches from 1677 to 2262: a day outside
    /// that range starts at the first or last whole day inside it (an expiry imported as 9999-12-31
    /// once overflowed here and crashed the server showing it).
    public var start: Timestamp {
        let days = Int64(min(max(rawValue, -Self.timestampDays), Self.timestampDays))
        return Timestamp(nanoseconds: days * 86_400 * 1_000_000_000)
    }

    /// Whole days either side of 1970-01-01 that a `Timestamp` holds.
    static let timestampDays: Int32 = 106_751

    public static func < (a: CalendarDay, b: CalendarDay) -> Bool { a.rawValue < b.rawValue }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = components
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }
}

extension Timestamp {
    /// The wall clock (CLOCK_REALTIME). Only edges of the system read it: never projections.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }
}
