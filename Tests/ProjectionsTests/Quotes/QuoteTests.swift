import EventLog
import Testing
@testable import Projections

/// The quote fold, tick by tick: last tick, day OHLC and volume, rollover, late ticks, change.
@Suite struct QuoteTests {
    static func at(_ day: Int, _ seconds: Int64, _ nanoseconds: Int64 = 0) -> Timestamp {
        MarketFixtures.time(day: day, seconds: seconds, nanoseconds: nanoseconds)
    }

    static func tick(_ price: Int64, volume: UInt64 = 10, decimals: UInt8 = 2, bid: Int64? = nil, ask: Int64? = nil,
                     openInterest: UInt64? = nil) -> Tick {
        Tick(token: 7, price: price, decimals: decimals, volume: volume, openInterest: openInterest, bid: bid, ask: ask)
    }

    /// Folds `ticks` (price, time) in order, offsets counting from 0.
    static func fold(_ ticks: [(Tick, Timestamp)]) -> Quote {
        var book = QuoteBook()
        for (offset, (tick, time)) in ticks.enumerated() { book.apply(tick, time: time, offset: UInt64(offset)) }
        return book[7]!
    }

    @Test func theFirstTickIsOpenHighLowCloseAndNoPreviousDay() {
        let quote = Self.fold([(Self.tick(10_050, volume: 3, bid: 10_045, ask: 10_055, openInterest: 99), Self.at(0, 40_000))])
        #expect(quote.open == 10_050 && quote.high == 10_050 && quote.low == 10_050 && quote.close == 10_050)
        #expect(quote.dayVolume == 3 && quote.lastQuantity == 3)
        #expect(quote.bid == 10_045 && quote.ask == 10_055 && quote.openInterest == 99)
        #expect(quote.day == MarketFixtures.firstDay)
        #expect(quote.previousClose == nil && quote.previousDay == nil)
        #expect(quote.change == 0 && quote.changePercent == 0)
        #expect(quote.lastOffset == 0 && quote.lastTime == Self.at(0, 40_000))
    }

    @Test func ticksOfTheDayMoveHighLowCloseAndSumVolume() {
        let quote = Self.fold([
            (Self.tick(100, volume: 1), Self.at(0, 100)),
            (Self.tick(120, volume: 2), Self.at(0, 200)),
            (Self.tick(90, volume: 3, bid: 89), Self.at(0, 300)),
            (Self.tick(110, volume: 4), Self.at(0, 400)),
        ])
        #expect([quote.open, quote.high, quote.low, quote.close] == [100, 120, 90, 110])
        #expect(quote.dayVolume == 10)
        #expect(quote.lastQuantity == 4)
        #expect(quote.bid == nil) // the last tick carried none
        #expect(quote.change == 10) // against the open: no previous day
        #expect(quote.changePercent == 10)
    }

    @Test func aLateTickOfTheDayCountsButIsNotTheLast() {
        let quote = Self.fold([
            (Self.tick(100), Self.at(0, 200)),
            (Self.tick(105), Self.at(0, 300)),
            (Self.tick(80, volume: 5), Self.at(0, 100)), // earlier than everything: the new open and low
            (Self.tick(130, volume: 5), Self.at(0, 250)), // between: a high, not the close
        ])
        #expect(quote.open == 80 && quote.openTime == Self.at(0, 100))
        #expect(quote.low == 80 && quote.high == 130)
        #expect(quote.close == 105 && quote.lastTime == Self.at(0, 300) && quote.lastOffset == 1)
        #expect(quote.dayVolume == 30)
    }

    @Test func equalTimesKeepTheFirstOpenAndTakeTheLaterClose() {
        let quote = Self.fold([
            (Self.tick(100), Self.at(0, 100)),
            (Self.tick(101), Self.at(0, 100)),
            (Self.tick(102), Self.at(0, 100)),
        ])
        #expect(quote.open == 100)
        #expect(quote.close == 102 && quote.lastOffset == 2)
    }

    @Test func aNewUTCDayRollsTheCloseIntoPreviousClose() {
        let quote = Self.fold([
            (Self.tick(100), Self.at(0, 3_600)),
            (Self.tick(150), Self.at(0, 86_399, 999_999_999)), // the last nanosecond of day 0
            (Self.tick(160, volume: 7), Self.at(1, 0)), // midnight UTC: day 1
            (Self.tick(140, volume: 1), Self.at(1, 60)),
        ])
        #expect(quote.day == CalendarDay(rawValue: MarketFixtures.firstDay.rawValue + 1))
        #expect(quote.previousDay == MarketFixtures.firstDay)
        #expect(quote.previousClose == 150)
        #expect([quote.open, quote.high, quote.low, quote.close] == [160, 160, 140, 140])
        #expect(quote.dayVolume == 8)
        #expect(quote.change == -10)
        #expect(abs(quote.changePercent - (-10.0 / 150 * 100)) < 1e-12)
    }

    @Test func aGapOfDaysTakesTheLastDayWithTicksAsPrevious() {
        let quote = Self.fold([(Self.tick(100), Self.at(0, 10)), (Self.tick(110), Self.at(3, 10))])
        #expect(quote.previousDay == MarketFixtures.firstDay && quote.previousClose == 100)
    }

    @Test func aLateTickOfThePreviousDayCanMoveItsCloseButNotToday() {
        var ticks: [(Tick, Timestamp)] = [
            (Self.tick(100), Self.at(0, 1_000)),
            (Self.tick(200), Self.at(1, 1_000)),
        ]
        #expect(Self.fold(ticks).previousClose == 100)
        ticks.append((Self.tick(95, volume: 50), Self.at(0, 2_000))) // later in day 0: day 0 closed at 95
        var quote = Self.fold(ticks)
        #expect(quote.previousClose == 95 && quote.previousCloseTime == Self.at(0, 2_000))
        #expect(quote.dayVolume == 10 && quote.low == 200) // today is untouched
        ticks.append((Self.tick(90), Self.at(0, 1_500))) // earlier than day 0's close: nothing changes
        quote = Self.fold(ticks)
        #expect(quote.previousClose == 95)
        ticks.append((Self.tick(91), Self.at(0, 2_000))) // same time, later offset: it is the close
        #expect(Self.fold(ticks).previousClose == 91)
    }

    @Test func aLateTickOfADayBetweenPreviousAndTodayBecomesThePreviousDay() {
        let quote = Self.fold([
            (Self.tick(100), Self.at(0, 10)),
            (Self.tick(300), Self.at(3, 10)), // previous: day 0
            (Self.tick(250), Self.at(2, 10)), // late, but a later day than day 0
            (Self.tick(50), Self.at(1, 10)), // older than the previous day: ignored
        ])
        #expect(quote.previousDay == CalendarDay(rawValue: MarketFixtures.firstDay.rawValue + 2))
        #expect(quote.previousClose == 250)
        #expect(quote.close == 300 && quote.low == 300)
    }

    @Test func pricesStayInTheFirstTicksScale() {
        let quote = Self.fold([
            (Self.tick(10_000, decimals: 2), Self.at(0, 10)),
            (Self.tick(1_000_050, decimals: 4, bid: 1_000_049, ask: 1_000_151), Self.at(0, 20)), // 100.0050 → 100.01
        ])
        #expect(quote.decimals == 2)
        #expect(quote.close == 10_001 && quote.high == 10_001)
        #expect(quote.bid == 10_000 && quote.ask == 10_002)
    }

    @Test func dayVolumeSaturatesInsteadOfTrapping() {
        let quote = Self.fold([(Self.tick(1, volume: .max - 1), Self.at(0, 1)), (Self.tick(1, volume: 5), Self.at(0, 2))])
        #expect(quote.dayVolume == .max)
    }

    @Test func theBookFoldsTicksAndIgnoresOtherEvents() {
        var book = QuoteBook()
        let tick = Tick(token: 3, price: 500, volume: 2)
        #expect(book.apply(LogEntry(offset: 0, time: Self.at(0, 1), event: .instrumentDelisted(token: 3))) == nil)
        let quote = book.apply(LogEntry(offset: 1, time: Self.at(0, 2), event: .tick(tick)))
        #expect(quote?.close == 500 && quote?.lastOffset == 1)
        #expect(book.count == 1 && book[3] == quote && book[4] == nil)
    }
}
