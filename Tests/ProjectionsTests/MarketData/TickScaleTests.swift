import EventLog
import Testing
@testable import Projections

/// Moving prices between decimal scales: exact up, rounded half away from zero down, never trapping.
@Suite struct TickScaleTests {
    static let cases: [(value: Int64, from: UInt8, to: UInt8, expected: Int64)] = [
        (12_345, 2, 2, 12_345),
        (12_345, 2, 4, 1_234_500),
        (1_234_549, 4, 2, 12_345),
        (1_234_550, 4, 2, 12_346), // a half rounds away from zero
        (-1_234_550, 4, 2, -12_346),
        (-1_234_549, 4, 2, -12_345),
        (5, 1, 0, 1),
        (4, 1, 0, 0),
        (-5, 1, 0, -1),
        (49_999_999, 7, 0, 5),
        (Int64.max / 10, 0, 7, .max), // saturates
        (Int64.min / 10, 0, 7, .min),
        (Int64.max, 7, 0, 922_337_203_685),
        (3, 0, 30, 3_000_000_000_000_000_000), // gaps past 18 places count as 18
        (10, 0, 30, .max),
        (3, 30, 0, 0),
    ]

    @Test(arguments: cases)
    func rescales(value: Int64, from: UInt8, to: UInt8, expected: Int64) {
        #expect(Tick.rescale(value, from: from, to: to) == expected)
    }

    @Test func aTickConvertsItsPriceToTheScaleAsked() {
        let tick = Tick(token: 1, price: 123_456, decimals: 4, volume: 1)
        #expect(tick.price(inDecimals: 4) == 123_456)
        #expect(tick.price(inDecimals: 2) == 1_235)
        #expect(tick.price(inDecimals: 5) == 1_234_560)
    }

    @Test func volumesSaturate() {
        #expect(UInt64(5).addingSaturating(6) == 11)
        #expect((UInt64.max - 1).addingSaturating(2) == .max)
    }
}
