import EventLog
import Testing

@Suite struct TimestampISO8601Tests {
    @Test func formatsUTCWithMillisecondsTruncatedTowardsThePast() {
        #expect(Timestamp(rawValue: 1_764_300_000_123_999_999).iso8601 == "2025-11-28T03:20:00.123Z")
        #expect(Timestamp.zero.iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(rawValue: -1).iso8601 == "1969-12-31T23:59:59.999Z")
    }

    @Test func theWholeRangeFormatsWithoutTrapping() {
        #expect(Timestamp(rawValue: .max).iso8601.hasPrefix("2262-04-11T"))
        #expect(Timestamp(rawValue: .min).iso8601.hasPrefix("1677-09-21T"))
    }

    /// Any calendar day has a start: one outside the timestamps' range starts at the nearest whole day inside it.
    @Test func everyDayStartsWithinTheTimestampRange() throws {
        #expect(try #require(CalendarDay(iso: "2025-11-28")).start == Timestamp(rawValue: 1_764_288_000_000_000_000))
        #expect(try #require(CalendarDay(iso: "9999-12-31")).start.iso8601 == "2262-04-11T00:00:00.000Z")
        #expect(try #require(CalendarDay(iso: "0001-01-01")).start.iso8601 == "1677-09-22T00:00:00.000Z")
        #expect(CalendarDay(rawValue: .max).start == CalendarDay(rawValue: 106_751).start)
        #expect(CalendarDay(rawValue: .min).start == CalendarDay(rawValue: -106_751).start)
    }

    @Test(arguments: [
        ("2025-11-28", 1_764_288_000_000_000_000),
        ("2025-11-28T03:20", 1_764_300_000_000_000_000),
        ("2025-11-28T03:20:00Z", 1_764_300_000_000_000_000),
        ("2025-11-28T03:20:00.5", 1_764_300_000_500_000_000),
        ("2025-11-28T03:20:00.000000001Z", 1_764_300_000_000_000_001),
        ("1764300000", 1_764_300_000_000_000_000),
        ("1764300000.25", 1_764_300_000_250_000_000),
    ] as [(String, Int64)])
    func parsesDatesTimesAndUnixSeconds(_ text: String, _ nanoseconds: Int64) {
        #expect(Timestamp(iso8601: text) == Timestamp(rawValue: nanoseconds))
    }

    @Test(arguments: ["", "yesterday", "2025-13-01", "2025-02-30", "2025-11-28T24:00", "2025-11-28T03:20:00+05:30",
                      "2025-11-28T3:20", "2025-11-28T03:20:00.1234567890", "2999-01-01", "1000-01-01", "99999999999999999999", "1e5",
                      "12.", ".5", "+5"])
    func refusesAnythingElse(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }
}
