import EventLog
import Testing
@testable import Services

@Suite struct PriceGridTests {
    @Test(arguments: [
        (0.05, 2, 5), (0.01, 2, 1), (0.1, 2, 10), (0.5, 2, 50), (1.0, 2, 100), (5.0, 2, 500),
        (0.0025, 4, 25), (0.005, 3, 5), (0.0001, 4, 1), (0.0, 2, 1), (-0.05, 2, 1), (Double.nan, 2, 1), (Double.infinity, 2, 1),
    ] as [(Double, UInt8, Int64)])
    func decimalsAreAtLeastTwoAndMakeTheTickWhole(tickSize: Double, decimals: UInt8, tick: Int64) {
        #expect(PriceGrid(tickSize: tickSize) == PriceGrid(decimals: decimals, tick: tick))
    }

    @Test func snappingRoundsDownToTheGridButNeverBelowOneTick() {
        let grid = PriceGrid(tickSize: 0.05)
        #expect(grid.snap(152_347) == 152_345)
        #expect(grid.snap(152_345) == 152_345)
        #expect(grid.snap(3) == 5)
        #expect(grid.snap(-40) == 5)
    }
}

@Suite struct DecimalTextTests {
    @Test(arguments: [
        ("1523.45", 2, DecimalText.Scaled.exact(152_345)),
        ("1523.450", 2, .exact(152_345)),
        ("1523.456", 2, .tooPrecise),
        ("1.52345e3", 2, .exact(152_345)),
        ("152345E-2", 2, .exact(152_345)),
        ("88.2525", 4, .exact(882_525)),
        ("-3", 0, .exact(-3)),
        ("+7", 0, .exact(7)),
        ("00012", 0, .exact(12)),
        ("5.", 2, .exact(500)),
        (".5", 2, .exact(50)),
        ("0.1", 0, .tooPrecise),
        ("120.0", 0, .exact(120)),
        ("9223372036854775807", 0, .exact(.max)),
        ("9223372036854775808", 0, .outOfRange),
        ("-9223372036854775807", 0, .exact(-.max)),
        ("1e18", 0, .exact(1_000_000_000_000_000_000)),
        ("1e19", 0, .outOfRange),
        ("1e999999999999", 0, .outOfRange),
        ("0e999999999999", 0, .exact(0)),
        ("1e-999999999", 9, .tooPrecise),
        ("1764300000.125", 9, .exact(1_764_300_000_125_000_000)),
    ])
    func numbersScaleExactlyOrSayWhyNot(text: String, decimals: Int, expected: DecimalText.Scaled) throws {
        let number = try #require(DecimalText(text))
        #expect(number.scaled(by: decimals) == expected)
    }

    @Test func truncatingDropsDigitsBelowTheScale() throws {
        #expect(try #require(DecimalText("1764300000.1234567891")).scaled(by: 9, truncating: true) == .exact(1_764_300_000_123_456_789))
        #expect(try #require(DecimalText("1e-999999999")).scaled(by: 9, truncating: true) == .exact(0))
    }

    @Test(arguments: ["", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "abc", "1 2", " 1", "0x10", "NaN", "Infinity", "1,5", "--1"])
    func textThatIsNotANumberIsRefused(text: String) {
        #expect(DecimalText(text) == nil)
    }

    @Test func zeroAndSignAreKnownWithoutScaling() throws {
        #expect(try #require(DecimalText("-0.00")).isZero)
        #expect(try #require(DecimalText("-0.00")).isNegative)
        #expect(try !#require(DecimalText("0.001")).isZero)
    }
}
