import EventLog
import Testing
@testable import Projections

/// Counts are right by construction: for any filter, `total` equals the distinct instruments
/// a full cursor walk returns, which equals a brute-force recount over an independent fold.
@Suite struct InstrumentCatalogPropertyTests {
    static func randomFilter(using random: inout SplitMix64) -> CatalogFilter {
        var filter = CatalogFilter()
        func maybe<T>(_ values: [T]) -> T? {
            random.next() % 3 == 0 ? values[Int(random.next() % UInt64(values.count))] : nil
        }
        filter.exchange = maybe(CatalogFixtures.exchanges + ["NOPE"])
        filter.instrumentType = maybe(CatalogFixtures.types)
        filter.segment = maybe(["NSE-EQ", "NFO-CE", "MCX-FUT", "BSE-PE"])
        filter.query = maybe(["nifty", "NIFTY", "n", "if", "tcs", "Ltd", "infy2", "gold1", "xyz", "r", "ce", "00p", "y L"])
        filter.activity = maybe(CatalogFilter.Activity.allCases) ?? .active
        let base = CatalogFixtures.baseDay.rawValue
        filter.expiryFrom = maybe([base - 5, base, base + 10, base + 39, base + 50]).map { CalendarDay(rawValue: $0) }
        filter.expiryTo = maybe([base - 1, base, base + 12, base + 39]).map { CalendarDay(rawValue: $0) }
        return filter
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func totalEqualsEveryPageWalkEqualsABruteForceRecount(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let catalog = InstrumentCatalog()
        var reference = ReferenceCatalog()
        var offset: UInt64 = 0
        for round in 0..<6 {
            // Random batch sizes exercise both the full and the incremental index builds.
            let events = CatalogFixtures.randomEvents(count: Int(random.next() % 400) + 1, tokens: 250, using: &random)
            try catalog.applyAndPublish(events, from: offset)
            for (i, event) in events.enumerated() {
                reference.apply(LogEntry(offset: offset + UInt64(i), time: Timestamp(nanoseconds: Int64(offset + UInt64(i)) * 1_000_000_000), event: event))
            }
            offset += UInt64(events.count)

            let filters = [CatalogFilter(), CatalogFilter(activity: .any)] + (0..<25).map { _ in Self.randomFilter(using: &random) }
            for filter in filters {
                let expected = reference.matches(filter)
                let limit = [1, 7, 50, 1000][(round + Int(random.next() % 4)) % 4]
                let walk = try catalog.walk(filter, limit: limit)
                #expect(walk.totals == [expected.count], "total for \(filter)")
                #expect(walk.records.map(\.token) == expected.map(\.token), "walk for \(filter) at limit \(limit)")
                #expect(Set(walk.records.map(\.token)).count == walk.records.count, "duplicates for \(filter)")
                #expect(walk.records == expected, "records for \(filter)")
                #expect(walk.pages == max(1, (expected.count + limit - 1) / limit))
            }
        }
        // Every token resolves to the reference's record.
        for token in 1...251 as ClosedRange<UInt32> {
            #expect(catalog.instrument(token: token) == reference.records[token])
        }
    }

    @Test(arguments: [1, 7, 50, 1000])
    func everyPageSizeReturnsEachMatchOnce(limit: Int) throws {
        var random = SplitMix64(seed: 99)
        let catalog = InstrumentCatalog()
        var reference = ReferenceCatalog()
        let events = CatalogFixtures.randomEvents(count: 3000, tokens: 600, using: &random)
        try catalog.applyAndPublish(events, from: 0)
        for (i, event) in events.enumerated() {
            reference.apply(LogEntry(offset: UInt64(i), time: Timestamp(nanoseconds: Int64(i) * 1_000_000_000), event: event))
        }
        for filter in [CatalogFilter(), CatalogFilter(exchange: "NFO", instrumentType: "CE"), CatalogFilter(query: "nifty", activity: .any)] {
            let walk = try catalog.walk(filter, limit: limit)
            let expected = reference.matches(filter)
            #expect(walk.totals == [expected.count])
            #expect(walk.records.map(\.token) == expected.map(\.token))
        }
    }

    @Test func aCursorWalkIsConsistentWhileTheCatalogChanges() throws {
        var random = SplitMix64(seed: 7)
        let catalog = InstrumentCatalog(retainedSnapshots: 2)
        var offset: UInt64 = 0
        let initial = CatalogFixtures.randomEvents(count: 800, tokens: 300, using: &random)
        try catalog.applyAndPublish(initial, from: offset)
        offset += UInt64(initial.count)

        for filter in [CatalogFilter(), CatalogFilter(query: "nifty"), CatalogFilter(exchange: "NSE", activity: .any)] {
            let before = catalog.snapshot
            let expectedTotal = before.total(matching: filter)
            let walk = try catalog.walk(filter, limit: 7) {
                // Between every two pages, more changes than the history keeps snapshots for.
                for _ in 0..<3 {
                    let events = CatalogFixtures.randomEvents(count: 20, tokens: 400, using: &random)
                    try catalog.applyAndPublish(events, from: offset)
                    offset += UInt64(events.count)
                }
            }
            #expect(walk.totals == [expectedTotal])
            #expect(walk.records.count == expectedTotal)
            let firstPage = try InstrumentCatalogPropertyTests.allMatches(filter, in: before)
            #expect(walk.records == firstPage)
            #expect(catalog.snapshot.asOfOffset > before.asOfOffset)
        }
    }

    /// Everything matching in one snapshot, read straight from it.
    static func allMatches(_ filter: CatalogFilter, in snapshot: CatalogSnapshot) throws -> [InstrumentRecord] {
        snapshot.page(matching: filter, after: nil, limit: Int.max).instruments
    }
}
