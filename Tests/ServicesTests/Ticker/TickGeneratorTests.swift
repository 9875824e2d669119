import EventLog
import Testing
@testable import Services

@Suite struct TickGeneratorTests {
    static let fixture = InstrumentFixture.generate(seed: 1)
    static let liquid: [Instrument] = {
        let byToken = Dictionary(uniqueKeysWithValues: fixture.active.map { ($0.token, $0) })
        return fixture.liquid(count: 2_000).map { byToken[$0]! }
    }()

    func ticks(seed: UInt64, count: Int, instruments: [Instrument] = liquid) -> [Tick] {
        var generator = TickGenerator(instruments: instruments, seed: seed)
        return (0..<count).map { generator.next(at: Timestamp(rawValue: Int64($0))) }
    }

    @Test func theSameSeedGivesTheSameTicksAndAnotherSeedOthers() {
        #expect(ticks(seed: 7, count: 20_000) == ticks(seed: 7, count: 20_000))
        #expect(ticks(seed: 7, count: 1_000) != ticks(seed: 8, count: 1_000))
    }

    @Test func everyPriceBidAndAskIsPositiveOnTheInstrumentsTickGrid() {
        let byToken = Dictionary(uniqueKeysWithValues: Self.liquid.map { ($0.token, $0) })
        var seen = Set<UInt32>()
        for tick in ticks(seed: 3, count: 200_000) {
            let instrument = byToken[tick.token]!
            let grid = PriceGrid(tickSize: instrument.tickSize)
            seen.insert(tick.token)
            #expect(tick.decimals == grid.decimals)
            #expect(tick.price > 0 && tick.price % grid.tick == 0, "\(instrument.tradingSymbol) \(tick.price) on tick \(grid.tick)")
            if let bid = tick.bid { #expect(bid > 0 && bid < tick.price && bid % grid.tick == 0) }
            #expect(tick.ask.map { $0 > tick.price && $0 % grid.tick == 0 } == true)
            let isDerivative = ["FUT", "CE", "PE"].contains(instrument.instrumentType)
            #expect((tick.openInterest != nil) == isDerivative)
            #expect(tick.volume > 0 && tick.volume % UInt64(max(1, instrument.lotSize)) == 0)
        }
        // The skew favours the liquid front, yet the walk still reaches most of the set.
        #expect(seen.count > 1_500)
    }

    @Test func moreLiquidInstrumentsTickMoreOften() {
        var counts: [UInt32: Int] = [:]
        for tick in ticks(seed: 5, count: 100_000) { counts[tick.token, default: 0] += 1 }
        let front = Self.liquid.prefix(100).reduce(0) { $0 + counts[$1.token, default: 0] }
        let back = Self.liquid.suffix(100).reduce(0) { $0 + counts[$1.token, default: 0] }
        #expect(front > back * 5)
    }

    @Test func anInstrumentsWalkStartsTheSameWhateverElseIsTicked() {
        let instrument = Self.liquid[10]
        let alone = TickGenerator.makeWalk(instrument, seed: 9)
        #expect(TickGenerator(instruments: Self.liquid, seed: 9).walks[10].price == alone.price)
        #expect(TickGenerator(instruments: [Self.liquid[3], instrument], seed: 9).walks[1].price == alone.price)
    }

    /// Amounts no import accepts any more, but an older log may hold (a strike of 1e300 once trapped
    /// converting the start price): the walk starts as for an option without a strike, on the default grid.
    @Test func anOptionWithImpossibleAmountsStillWalks() {
        let option = Instrument(token: 7, exchangeToken: 1, tradingSymbol: "X26DECCE", name: "X", expiry: nil, strike: 1e300,
                                tickSize: 1e300, lotSize: 1, instrumentType: "CE", segment: "NFO-OPT", exchange: "NFO")
        for tick in ticks(seed: 2, count: 200, instruments: [option]) {
            #expect(tick.decimals == 2)
            #expect((1...500 * 100 * 4).contains(tick.price))
        }
    }

    @Test func currencyFuturesTickOnTheirQuarterPaisaGrid() {
        let usdinr = TickerFixtures.instruments[1]
        for tick in ticks(seed: 1, count: 500, instruments: [usdinr]) {
            #expect(tick.decimals == 4)
            #expect(tick.price % 25 == 0)
            #expect((550_000...1_150_000 * 4).contains(tick.price))
        }
    }
}
