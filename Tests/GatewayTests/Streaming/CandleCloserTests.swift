import EventLog
import Projections
import Testing
@testable import Gateway

/// `CandleCloser`: which tick closes which one-minute bar, and which bars count as whole.
@Suite struct CandleCloserTests {
    static let minute: Int64 = 60_000_000_000
    static func at(_ minutes: Int64, _ seconds: Int64 = 0) -> Timestamp {
        Timestamp(nanoseconds: 1_764_300_000_000_000_000 + minutes * minute + seconds * 1_000_000_000)
    }
    static func tick(_ token: UInt32, _ price: Int64, volume: UInt64 = 1) -> Tick {
        Tick(token: token, price: price, decimals: 2, volume: volume)
    }

    @Test func aLaterMinuteClosesTheBarAndLateTicksChangeNothing() {
        var closer = CandleCloser()
        #expect(closer.apply(Self.tick(1, 100), time: Self.at(0, 5)) == nil)
        #expect(closer.apply(Self.tick(1, 101), time: Self.at(1, 0)) == nil)     // closes minute 0, which it joined late
        #expect(closer.apply(Self.tick(1, 99, volume: 4), time: Self.at(1, 30)) == nil)
        #expect(closer.apply(Self.tick(1, 500), time: Self.at(0, 59)) == nil)    // late: minute 0 is closed
        #expect(closer.apply(Self.tick(2, 7), time: Self.at(2, 0)) == nil)       // another token's bars are its own
        let closed = closer.apply(Self.tick(1, 102), time: Self.at(3, 1))
        #expect(closed == Candle(time: Self.at(1), open: 101, high: 101, low: 99, close: 99, volume: 5, decimals: 2))
    }

    @Test func barsFromTheWholeFromTimeOnAreWholeFromTheFirstTick() {
        var closer = CandleCloser(wholeFrom: Self.at(1))
        #expect(closer.apply(Self.tick(1, 100), time: Self.at(1, 0)) == nil)
        #expect(closer.apply(Self.tick(1, 105), time: Self.at(2, 0)) == Candle(time: Self.at(1), open: 100, high: 100, low: 100, close: 100, volume: 1, decimals: 2))
        var before = CandleCloser(wholeFrom: Self.at(1, 30))
        #expect(before.apply(Self.tick(1, 100), time: Self.at(1, 40)) == nil)
        #expect(before.apply(Self.tick(1, 105), time: Self.at(2, 0)) == nil)
    }
}
