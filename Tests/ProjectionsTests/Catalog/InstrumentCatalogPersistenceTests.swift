import EventLog
import Testing
@testable import Projections

/// The catalog behind a real runner: rows in SQLite, restart loads them instead of replaying.
@Suite struct InstrumentCatalogPersistenceTests {
    let directory = TemporaryDirectory()

    func log(seed: UInt64, count: Int) -> MemoryLog {
        var random = SplitMix64(seed: seed)
        let log = MemoryLog()
        for (i, event) in CatalogFixtures.randomEvents(count: count, tokens: 400, using: &random).enumerated() {
            log.append(event, at: Int64(i))
        }
        return log
    }

    @Test func aRestartLoadsRowsFromSQLiteAndEqualsARebuildFromZero() throws {
        let log = log(seed: 21, count: 3000)
        let path = directory.file("projections.sqlite")
        let first = InstrumentCatalog()
        try ProjectionRunner(projection: first, log: log, databasePath: path, batchSize: 500).catchUp()

        var random = SplitMix64(seed: 22)
        for (i, event) in CatalogFixtures.randomEvents(count: 700, tokens: 450, using: &random).enumerated() {
            log.append(event, at: Int64(3000 + i))
        }
        let restarted = InstrumentCatalog()
        let runner = ProjectionRunner(projection: restarted, log: log, databasePath: path, batchSize: 256)
        #expect(try runner.catchUp() == 3700)

        let rebuilt = InstrumentCatalog()
        try ProjectionRunner(projection: rebuilt, log: log, databasePath: directory.file("clean.sqlite"), batchSize: 999).catchUp()
        #expect(restarted.contentHash() == rebuilt.contentHash())
        for filter in [CatalogFilter(), CatalogFilter(activity: .any), CatalogFilter(query: "nifty", activity: .delisted)] {
            let a = try restarted.walk(filter, limit: 50).records
            let b = try rebuilt.walk(filter, limit: 50).records
            #expect(a == b)
        }
        #expect(restarted.snapshot.asOfOffset == 3700)
    }

    @Test func theInstrumentsTableHoldsEveryFieldAndTheLifecycle() throws {
        let log = MemoryLog()
        let listed = Instrument(token: 0x1234_0003, exchangeToken: 0x1234, tradingSymbol: "NIFTY26DEC24000CE", name: "NIFTY",
                                expiry: CalendarDay(year: 2026, month: 12, day: 29), strike: 24000, tickSize: 0.05,
                                lotSize: 75, instrumentType: "CE", segment: "NFO-OPT", exchange: "NFO")
        log.append(.instrumentListed(listed), at: 10)
        log.append(.instrumentDelisted(token: listed.token), at: 20)
        let path = directory.file("projections.sqlite")
        try ProjectionRunner(projection: InstrumentCatalog(), log: log, databasePath: path).catchUp()

        let reloaded = InstrumentCatalog()
        try reloaded.load(from: try Database(path: path))
        reloaded.publish(through: 2)
        let record = try #require(reloaded.instrument(token: listed.token))
        #expect(record.instrument == listed)
        #expect(!record.isActive)
        #expect(record.listedTime == Timestamp(nanoseconds: 10_000_000_000))
        #expect(record.delistedTime == Timestamp(nanoseconds: 20_000_000_000))
    }

    @Test func readersOnOtherThreadsSeeWholeBatchesWhileTheRunnerTails() async throws {
        let log = log(seed: 31, count: 2000)
        let catalog = InstrumentCatalog()
        let runner = ProjectionRunner(projection: catalog, log: log, databasePath: directory.file("p.sqlite"),
                                      batchSize: 100, tailTimeout: .milliseconds(10))
        runner.start()
        // Readers race the runner: every snapshot they see must agree with itself.
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<50 {
                        let snapshot = catalog.snapshot
                        let total = snapshot.total(matching: CatalogFilter())
                        let all = snapshot.page(matching: CatalogFilter(), after: nil, limit: Int.max)
                        #expect(all.total == total && all.instruments.count == total)
                        #expect(snapshot.stats(today: CatalogFixtures.baseDay).totalActive == total)
                    }
                }
            }
        }
        runner.stop()
    }
}
