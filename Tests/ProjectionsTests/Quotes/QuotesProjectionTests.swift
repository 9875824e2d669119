import EventLog
import Testing
@testable import Projections

/// The quotes projection behind the real runner, a real log and a real SQLite file.
@Suite struct QuotesProjectionTests {
    /// Every published quote equals a brute-force recomputation from the raw ticks, whatever
    /// the batch boundaries, restarts (load from SQLite) and out-of-order times.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func foldingThroughTheRunnerEqualsABruteForceRecomputation(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let records = MarketFixtures.randomRecords(count: 2_500, using: &random)
        let harness = try MarketLogHarness()
        var checks = 0
        let projection = try harness.foldInRandomBatches(records, using: &random, make: QuotesProjection.init) { projection, entries in
            let reference = ReferenceMarket(entries)
            let tokens = reference.tokens
            #expect(projection.asOfOffset == UInt64(entries.count))
            #expect(projection.quotes(for: tokens) == tokens.map { reference.quote($0)! })
            checks += 1
        }
        #expect(checks > 1)
        let reference = ReferenceMarket(try harness.entries())
        #expect(reference.tokens.count == 6)
        // Late ticks and rollovers really happened, so the rules above were exercised.
        #expect(reference.tokens.contains { reference.quote($0)!.previousClose != nil })
        #expect(Set(reference.samples[2]!.map(\.tick.decimals)) == [2, 4])
        #expect(projection.quotes(for: reference.tokens).count == 6)
    }

    @Test func aRestartLoadsTheTableAndEqualsARebuildFromZero() throws {
        var random = SplitMix64(seed: 11)
        let harness = try MarketLogHarness()
        let records = MarketFixtures.randomRecords(count: 3_000, using: &random)
        let built = try harness.resumeLoadAndRebuild(records, split: 1_700, make: QuotesProjection.init)
        let expected = built.rebuilt.contentHash()
        #expect([built.resumed, built.loaded, built.rebuiltInPlace].map { $0.contentHash() } == [expected, expected, expected])
        let tokens: [UInt32] = [1, 2, 3, 4, 5, 6]
        #expect(built.loaded.quotes(for: tokens) == built.rebuilt.quotes(for: tokens))
        #expect(built.resumed.quotes(for: tokens) == built.rebuilt.quotes(for: tokens))
        #expect(built.loaded.asOfOffset == 3_000 && built.resumed.asOfOffset == 3_000)
    }

    @Test func readersSeeOnlyPublishedBatches() throws {
        let projection = QuotesProjection()
        projection.publish(through: 0)
        let time = MarketFixtures.time(day: 0, seconds: 40_000)
        try projection.apply(LogEntry(offset: 0, time: time, event: .tick(Tick(token: 5, price: 100, volume: 1))))
        #expect(projection.quotes(for: [5]).isEmpty)
        #expect(projection.asOfOffset == 0)
        projection.publish(through: 1)
        #expect(projection.quotes(for: [5]).map(\.close) == [100])

        try projection.apply(LogEntry(offset: 1, time: time, event: .tick(Tick(token: 5, price: 101, volume: 1))))
        #expect(projection.quote(for: 5)?.close == 100)
        projection.publish(through: 2)
        #expect(projection.quote(for: 5)?.close == 101)
        #expect(projection.asOfOffset == 2)
    }

    @Test func quotesComeInTheOrderAskedWithoutTokensThatNeverTicked() throws {
        let projection = QuotesProjection()
        for (offset, token) in ([3, 1, 2] as [UInt32]).enumerated() {
            try projection.apply(LogEntry(offset: UInt64(offset), time: MarketFixtures.time(day: 0, seconds: 1),
                                          event: .tick(Tick(token: token, price: Int64(token), volume: 1))))
        }
        projection.publish(through: 3)
        #expect(projection.quotes(for: [2, 9, 1, 3, 2]).map(\.token) == [2, 1, 3, 2])
        #expect(projection.quotes(for: []).isEmpty)
    }

    @Test func theStreamingHubCanContinueFromThePublishedBook() throws {
        var random = SplitMix64(seed: 5)
        let harness = try MarketLogHarness()
        let records = MarketFixtures.randomRecords(count: 800, using: &random)
        try harness.append(Array(records[..<500]))
        let projection = QuotesProjection()
        try harness.makeRunner(projection, batchSize: 100).catchUp()
        try harness.append(Array(records[500...]))

        // A tailer starts from the published book and folds the rest of the log itself.
        var (book, offset) = projection.publishedBook()
        #expect(offset == 500)
        for entry in try harness.log.makeReader().read(from: offset, limit: Int.max) { book.apply(entry) }
        let reference = ReferenceMarket(try harness.entries())
        for token in reference.tokens { #expect(book[token] == reference.quote(token)) }
    }
}
