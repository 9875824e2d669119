import EventLog
import Testing
@testable import Projections

/// Resolution names and UTC bucket alignment.
@Suite struct CandleResolutionTests {
    @Test(arguments: [
        ("1m", CandleResolution.oneMinute), ("5m", .fiveMinutes), ("15m", .fifteenMinutes), ("1h", .oneHour),
        ("1D", .oneDay), ("D", .oneDay),
    ])
    func parsesEveryResolutionName(text: String, expected: CandleResolution) {
        #expect(CandleResolution(parsing: text) == expected)
    }

    @Test(arguments: ["", "1", "60", "1d", "d", "2m", "1H", "1M", "1W", " 1m", "1m "])
    func rejectsAnythingElse(text: String) {
        #expect(CandleResolution(parsing: text) == nil)
    }

    @Test func secondsAndNamesRoundTrip() {
        #expect(CandleResolution.allCases.map(\.seconds) == [60, 300, 900, 3_600, 86_400])
        for resolution in CandleResolution.allCases {
            #expect(CandleResolution(parsing: resolution.description) == resolution)
            #expect(CandleResolution(seconds: resolution.seconds) == resolution)
            #expect(CandleResolution.allCases[resolution.index] == resolution)
        }
    }

    static let second: Int64 = 1_000_000_000
    /// 2026-03-02 00:00:00 UTC in seconds.
    static let midnight = Int64(MarketFixtures.firstDay.rawValue) * 86_400

    /// (resolution, time in ns, expected bucket start in ns): on, just before and just after boundaries.
    static let alignments: [(CandleResolution, Int64, Int64)] = [
        (.oneMinute, (midnight + 60) * second, (midnight + 60) * second),
        (.oneMinute, (midnight + 60) * second - 1, midnight * second),
        (.oneMinute, (midnight + 119) * second + 999_999_999, (midnight + 60) * second),
        (.fiveMinutes, (midnight + 3 * 3_600 + 45 * 60) * second, (midnight + 3 * 3_600 + 45 * 60) * second), // 09:15 IST
        (.fiveMinutes, (midnight + 3 * 3_600 + 49 * 60 + 59) * second, (midnight + 3 * 3_600 + 45 * 60) * second),
        (.fifteenMinutes, (midnight + 3 * 3_600 + 59 * 60) * second, (midnight + 3 * 3_600 + 45 * 60) * second),
        (.fifteenMinutes, (midnight + 4 * 3_600) * second, (midnight + 4 * 3_600) * second),
        (.oneHour, (midnight + 3 * 3_600 + 45 * 60) * second, (midnight + 3 * 3_600) * second), // UTC hours, not session hours
        (.oneHour, (midnight + 3_600) * second - 1, midnight * second),
        (.oneDay, (midnight + 86_399) * second + 999_999_999, midnight * second),
        (.oneDay, (midnight + 86_400) * second, (midnight + 86_400) * second),
        (.oneDay, 0, 0),
        (.oneMinute, -1, -60 * second), // floor, not truncation, before 1970
        (.oneDay, -86_400 * second, -86_400 * second),
        (.oneDay, -86_400 * second - 1, -2 * 86_400 * second),
    ]

    @Test(arguments: alignments)
    func bucketsAreAlignedInUTCByFloorDivision(resolution: CandleResolution, time: Int64, start: Int64) {
        #expect(resolution.bucketStart(of: Timestamp(nanoseconds: time)) == Timestamp(nanoseconds: start))
    }

    @Test func theEarliestTimesSaturateInsteadOfTrapping() {
        #expect(CandleResolution.oneDay.bucketStart(of: Timestamp(nanoseconds: .min)) == Timestamp(nanoseconds: .min))
        let last = CandleResolution.oneMinute.bucketStart(of: Timestamp(nanoseconds: .max))
        #expect(last.rawValue <= .max && Int64.max - last.rawValue < 60 * Self.second)
    }
}
