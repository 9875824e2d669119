import EventLog
import Testing
@testable import Projections

/// The candles projection behind the real runner, a real log and a real SQLite file.
@Suite struct CandlesProjectionTests {
    /// Every series equals a brute-force bucketing of the raw ticks, whatever the batch
    /// boundaries, restarts (load from SQLite) and out-of-order times; range queries equal
    /// slicing the brute-force bars.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func foldingThroughTheRunnerEqualsABruteForceRecomputation(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let records = MarketFixtures.randomRecords(count: 2_500, using: &random)
        let harness = try MarketLogHarness()
        var queryRandom = SplitMix64(seed: seed &+ 100)
        var checks = 0
        _ = try harness.foldInRandomBatches(records, using: &random, make: CandlesProjection.init) { projection, entries in
            let reference = ReferenceMarket(entries)
            #expect(projection.asOfOffset == UInt64(entries.count))
            for token in reference.tokens {
                for resolution in CandleResolution.allCases {
                    let expected = reference.candles(token, resolution)
                    #expect(projection.candles(token: token, resolution: resolution) == expected,
                            "token \(token) at \(resolution)")
                    try Self.checkRandomRanges(of: projection, token: token, resolution: resolution, expected: expected,
                                               using: &queryRandom)
                }
            }
            checks += 1
        }
        #expect(checks > 1)
    }

    /// A few random `from`/`to`/`limit` and countback queries against slicing `expected` by hand.
    static func checkRandomRanges(of projection: CandlesProjection, token: UInt32, resolution: CandleResolution,
                                  expected: [Candle], using random: inout SplitMix64) throws {
        guard let first = expected.first, let last = expected.last else { return }
        let span = last.time.rawValue - first.time.rawValue + 2 * resolution.nanoseconds
        func randomTime() -> Timestamp {
            // Half on bar starts exactly, half anywhere around the series.
            if random.next() % 2 == 0 { return expected[random.index(expected.count)].time }
            return Timestamp(nanoseconds: first.time.rawValue - resolution.nanoseconds + Int64(random.next() % UInt64(span)))
        }
        for _ in 0..<3 {
            let from = random.next() % 4 == 0 ? nil : randomTime()
            let to = random.next() % 4 == 0 ? nil : randomTime()
            let limit = random.next() % 3 == 0 ? nil : random.next(in: 0...5)
            var slice = expected.filter { candle in
                candle.time >= (from ?? candle.time) && (to.map { candle.time < $0 } ?? true)
            }
            if let limit { slice = Array(slice.suffix(limit)) }
            #expect(projection.candles(token: token, resolution: resolution, from: from, to: to, limit: limit) == slice,
                    "token \(token) \(resolution) from \(from.map(String.init(describing:)) ?? "-") to \(to.map(String.init(describing:)) ?? "-") limit \(limit.map(String.init) ?? "-")")
            let before = randomTime(), count = random.next(in: 1...4)
            #expect(projection.candles(token: token, resolution: resolution, before: before, count: count)
                        == Array(expected.filter { $0.time < before }.suffix(count)))
        }
    }

    @Test func aRestartLoadsTheTablesAndEqualsARebuildFromZero() throws {
        var random = SplitMix64(seed: 12)
        let harness = try MarketLogHarness()
        let records = MarketFixtures.randomRecords(count: 3_000, using: &random)
        let built = try harness.resumeLoadAndRebuild(records, split: 1_300, make: CandlesProjection.init)
        let expected = built.rebuilt.contentHash()
        #expect([built.resumed, built.loaded, built.rebuiltInPlace].map { $0.contentHash() } == [expected, expected, expected])
        for token in 1...6 as ClosedRange<UInt32> {
            for resolution in CandleResolution.allCases {
                let bars = built.rebuilt.candles(token: token, resolution: resolution)
                #expect(!bars.isEmpty)
                #expect(built.loaded.candles(token: token, resolution: resolution) == bars)
                #expect(built.resumed.candles(token: token, resolution: resolution) == bars)
            }
        }
        #expect(built.loaded.asOfOffset == 3_000 && built.resumed.asOfOffset == 3_000)
    }

    /// Late ticks after a restart land on bars the fold only knows from the loaded tables.
    @Test func lateTicksAfterARestartUpdateLoadedBars() throws {
        let harness = try MarketLogHarness()
        let tick = { (price: Int64, seconds: Int64) in
            Record(time: Self.at(0, seconds), event: .tick(Tick(token: 1, price: price, volume: 1)))
        }
        try harness.append([tick(100, 60), tick(110, 130), tick(120, 250)])
        try harness.makeRunner(CandlesProjection(), batchSize: 10).catchUp()
        try harness.append([tick(90, 70), tick(95, 200), tick(130, 255)])
        let resumed = CandlesProjection()
        try harness.makeRunner(resumed, batchSize: 10).catchUp()
        let reference = ReferenceMarket(try harness.entries())
        for resolution in CandleResolution.allCases {
            #expect(resumed.candles(token: 1, resolution: resolution) == reference.candles(1, resolution))
        }
        #expect(resumed.candles(token: 1, resolution: .oneMinute).map(\.volume) == [2, 1, 1, 2])
    }

    @Test func theTableHoldsOneRowPerBarAndTheTokensScale() throws {
        let harness = try MarketLogHarness()
        try harness.append([
            Record(time: Self.at(0, 60), event: .tick(Tick(token: 4, price: 12_345, decimals: 4, volume: 2))),
            Record(time: Self.at(0, 61), event: .tick(Tick(token: 4, price: 12_340, decimals: 4, volume: 3))),
            Record(time: Self.at(0, 400), event: .tick(Tick(token: 4, price: 12_350, decimals: 4, volume: 1))),
        ])
        try harness.makeRunner(CandlesProjection(), batchSize: 2).catchUp()
        let db = try Database(path: harness.databasePath)
        // Each series' newest bar is in `candles_open`, the older ones in `candles`.
        let rows = try db.prepare("""
            SELECT resolution, count(*), sum(volume)
            FROM (SELECT * FROM candles UNION ALL SELECT * FROM candles_open) WHERE token = 4
            GROUP BY resolution ORDER BY resolution
            """)
        var found: [[Int64]] = []
        while try rows.step() { found.append([rows.int64(at: 0), rows.int64(at: 1), rows.int64(at: 2)]) }
        #expect(found == [[60, 2, 6], [300, 2, 6], [900, 1, 6], [3_600, 1, 6], [86_400, 1, 6]])
        let open = try db.prepare("SELECT resolution, time FROM candles_open WHERE token = 4 ORDER BY resolution")
        var newest: [[Int64]] = []
        while try open.step() { newest.append([open.int64(at: 0), open.int64(at: 1)]) }
        let day = Self.at(0, 0).rawValue
        #expect(newest == [[60, Self.at(0, 360).rawValue], [300, Self.at(0, 300).rawValue], [900, day], [3_600, day], [86_400, day]])
        let scale = try db.prepare("SELECT decimals FROM candle_series WHERE token = 4")
        #expect(try scale.step())
        #expect(scale.int64(at: 0) == 4)
    }

    @Test func readersOnOtherThreadsSeeSortedUniqueBarsWhileTheRunnerTails() async throws {
        var random = SplitMix64(seed: 13)
        let harness = try MarketLogHarness()
        let records = MarketFixtures.randomRecords(count: 4_000, using: &random)
        let projection = CandlesProjection()
        let runner = ProjectionRunner(projection: projection, log: try harness.log.makeReader(),
                                      databasePath: harness.databasePath, batchSize: 50, tailTimeout: .milliseconds(10))
        runner.start()
        await withTaskGroup(of: Void.self) { group in
            for reader in 0..<2 {
                group.addTask {
                    for round in 0..<300 {
                        let resolution = CandleResolution.allCases[(reader + round) % CandleResolution.allCases.count]
                        let bars = projection.candles(token: UInt32(round % 6) + 1, resolution: resolution)
                        #expect(zip(bars, bars.dropFirst()).allSatisfy { $0.time < $1.time })
                        #expect(bars.allSatisfy { $0.low <= min($0.open, $0.close) && $0.high >= max($0.open, $0.close) })
                    }
                }
            }
            var position = 0
            while position < records.count {
                try? harness.append(Array(records[position..<min(records.count, position + 97)]))
                position += 97
            }
        }
        #expect(runner.waitUntilApplied(before: 4_000, timeout: .seconds(30)))
        runner.stop()
        let reference = ReferenceMarket(try harness.entries())
        for token in reference.tokens {
            #expect(projection.candles(token: token, resolution: .oneMinute) == reference.candles(token, .oneMinute))
        }
    }

    // MARK: table tests on the projection without a runner

    static func at(_ day: Int, _ seconds: Int64, _ nanoseconds: Int64 = 0) -> Timestamp {
        MarketFixtures.time(day: day, seconds: seconds, nanoseconds: nanoseconds)
    }

    /// A projection fed by hand, publishing after each `feed`, as the runner does after a batch.
    final class Feeder {
        let projection = CandlesProjection()
        var offset: UInt64 = 0
        init() { projection.publish(through: 0) }

        func feed(_ ticks: [(price: Int64, volume: UInt64, time: Timestamp)], token: UInt32 = 1, decimals: UInt8 = 2,
                  publish: Bool = true) throws {
            for tick in ticks {
                try projection.apply(LogEntry(offset: offset, time: tick.time,
                                              event: .tick(Tick(token: token, price: tick.price, decimals: decimals, volume: tick.volume))))
                offset += 1
            }
            if publish { projection.publish(through: offset) }
        }

        func bars(_ resolution: CandleResolution, token: UInt32 = 1) -> [[Int64]] {
            projection.candles(token: token, resolution: resolution).map {
                [$0.time.rawValue / 1_000_000_000 - Int64(MarketFixtures.firstDay.rawValue) * 86_400,
                 $0.open, $0.high, $0.low, $0.close, Int64($0.volume)]
            }
        }
    }

    @Test func theOpenBarIsVisibleOncePublishedAndUpdatedInPlace() throws {
        let feeder = Feeder()
        try feeder.feed([(100, 1, Self.at(0, 600)), (105, 2, Self.at(0, 610))], publish: false)
        #expect(feeder.bars(.oneMinute).isEmpty) // not published yet
        feeder.projection.publish(through: feeder.offset)
        #expect(feeder.bars(.oneMinute) == [[600, 100, 105, 100, 105, 3]])
        try feeder.feed([(98, 4, Self.at(0, 659, 999_999_999))])
        #expect(feeder.bars(.oneMinute) == [[600, 100, 105, 98, 98, 7]]) // the same bar, not a second one
        try feeder.feed([(99, 1, Self.at(0, 660))])
        #expect(feeder.bars(.oneMinute) == [[600, 100, 105, 98, 98, 7], [660, 99, 99, 99, 99, 1]])
        #expect(feeder.bars(.fiveMinutes) == [[600, 100, 105, 98, 99, 8]])
        #expect(feeder.bars(.oneDay) == [[0, 100, 105, 98, 99, 8]])
        #expect(feeder.projection.candles(token: 1, resolution: .oneDay).first?.decimals == 2)
    }

    @Test func aLateTickUpdatesItsOlderBarOrFillsTheGapInOrder() throws {
        let feeder = Feeder()
        try feeder.feed([(100, 1, Self.at(0, 60)), (110, 1, Self.at(0, 70)), (200, 1, Self.at(0, 240))])
        try feeder.feed([(90, 5, Self.at(0, 65))]) // into the published 60 s bar: low, not close
        #expect(feeder.bars(.oneMinute) == [[60, 100, 110, 90, 110, 7], [240, 200, 200, 200, 200, 1]])
        try feeder.feed([(150, 2, Self.at(0, 130)), (80, 1, Self.at(0, 59))]) // a gap at 120 s, and a bar before all
        #expect(feeder.bars(.oneMinute) == [
            [0, 80, 80, 80, 80, 1], [60, 100, 110, 90, 110, 7], [120, 150, 150, 150, 150, 2], [240, 200, 200, 200, 200, 1],
        ])
        // In the 5 m bar the 59 s tick is the earliest: the new open.
        #expect(feeder.bars(.fiveMinutes) == [[0, 80, 200, 80, 200, 11]])
        try feeder.feed([(70, 1, Self.at(0, 59)), (71, 1, Self.at(0, 240))]) // same times as bars' open and close
        #expect(feeder.bars(.oneMinute).first == [0, 80, 80, 70, 70, 2]) // equal time: later offset closes, open stays
        #expect(feeder.bars(.oneMinute).last == [240, 200, 200, 71, 71, 2])
    }

    @Test func oneDayBarsSplitAtMidnightUTC() throws {
        let feeder = Feeder()
        try feeder.feed([(100, 1, Self.at(0, 86_399, 999_999_999)), (101, 1, Self.at(1, 0)), (102, 1, Self.at(1, 86_399))])
        #expect(feeder.bars(.oneDay) == [[0, 100, 100, 100, 100, 1], [86_400, 101, 102, 101, 102, 2]])
        #expect(feeder.bars(.oneHour).map { $0[0] } == [82_800, 86_400, 86_400 + 82_800])
    }

    /// Ten 1-minute bars at 0, 60, ..., 540 s of day 0.
    static func tenBars() throws -> Feeder {
        let feeder = Feeder()
        try feeder.feed((0..<10).map { (Int64(100 + $0), 1, Self.at(0, Int64($0) * 60 + 5)) })
        return feeder
    }

    static let limitCases: [(from: Int64?, to: Int64?, limit: Int?, expected: [Int64])] = [
        (nil, nil, nil, [0, 60, 120, 180, 240, 300, 360, 420, 480, 540]),
        (nil, nil, 3, [420, 480, 540]), // the most recent
        (nil, nil, 100, [0, 60, 120, 180, 240, 300, 360, 420, 480, 540]),
        (nil, nil, 0, []),
        (nil, nil, -1, []),
        (120, 300, nil, [120, 180, 240]), // from inclusive, to exclusive
        (121, 301, nil, [180, 240, 300]), // bars are selected by their start time
        (120, 300, 2, [180, 240]), // the last `limit` within the range
        (nil, 200, 2, [120, 180]),
        (500, nil, 5, [540]),
        (300, 300, nil, []),
        (400, 200, nil, []),
        (-600, 0, nil, []),
        (600, nil, nil, []),
    ]

    @Test(arguments: limitCases)
    func rangesAreHalfOpenAndLimitKeepsTheMostRecent(from: Int64?, to: Int64?, limit: Int?, expected: [Int64]) throws {
        let feeder = try Self.tenBars()
        let candles = feeder.projection.candles(token: 1, resolution: .oneMinute, from: from.map { Self.at(0, $0) },
                                                to: to.map { Self.at(0, $0) }, limit: limit)
        #expect(candles.map { $0.time.rawValue / 1_000_000_000 - Self.at(0, 0).rawValue / 1_000_000_000 } == expected)
    }

    @Test func countbackReturnsTheBarsBeforeATimeOldestFirst() throws {
        let feeder = try Self.tenBars()
        func before(_ seconds: Int64, _ count: Int) -> [Int64] {
            feeder.projection.candles(token: 1, resolution: .oneMinute, before: Self.at(0, seconds), count: count)
                .map(\.open)
        }
        #expect(before(300, 2) == [103, 104]) // the bar starting at 300 s is not before 300 s
        #expect(before(301, 2) == [104, 105])
        #expect(before(60, 5) == [100])
        #expect(before(0, 5) == [])
        #expect(before(10_000, 0) == [])
    }

    @Test func unknownTokensHaveNoCandles() throws {
        let feeder = try Self.tenBars()
        #expect(feeder.projection.candles(token: 2, resolution: .oneMinute).isEmpty)
        #expect(feeder.projection.candles(token: 2, resolution: .oneDay, before: Self.at(9, 0), count: 10).isEmpty)
    }

    @Test func pricesStayInTheFirstTicksScale() throws {
        let feeder = Feeder()
        try feeder.feed([(10_000, 1, Self.at(0, 60))], decimals: 2)
        try feeder.feed([(1_000_050, 1, Self.at(0, 61)), (999_949, 1, Self.at(0, 62))], decimals: 4)
        #expect(feeder.bars(.oneMinute) == [[60, 10_000, 10_001, 9_999, 9_999, 3]])
    }

    @Test func otherEventsChangeNothing() throws {
        let feeder = try Self.tenBars()
        let before = feeder.projection.contentHash()
        try feeder.projection.apply(LogEntry(offset: 10, time: Self.at(0, 1), event: .instrumentDelisted(token: 1)))
        feeder.projection.publish(through: 11)
        #expect(feeder.projection.contentHash() == before)
        #expect(feeder.projection.asOfOffset == 11)
    }
}
