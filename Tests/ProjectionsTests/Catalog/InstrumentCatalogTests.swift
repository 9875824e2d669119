import EventLog
import Testing
@testable import Projections

@Suite struct InstrumentCatalogTests {
    typealias F = CatalogFixtures

    static let infy = F.instrument(token: 101, symbol: "INFY", name: "INFOSYS")

    func catalog(_ events: [Event], clock: ManualClock = ManualClock(), retained: Int = 8) throws -> InstrumentCatalog {
        let catalog = InstrumentCatalog(retainedSnapshots: retained, clock: { clock.read() })
        try catalog.applyAndPublish(events, from: 0)
        return catalog
    }

    // MARK: fold semantics

    @Test func listingAddsAnActiveInstrumentWithItsListingOffsetAndTime() throws {
        let catalog = try catalog([.tick(Tick(token: 1, price: 1, volume: 1)), .instrumentListed(Self.infy)])
        let record = try #require(catalog.instrument(token: 101))
        #expect(record.isActive)
        #expect(record.listedOffset == 1)
        #expect(record.listedTime == Timestamp(nanoseconds: 1_000_000_000))
        #expect(record.delistedTime == nil)
        #expect(catalog.stats(today: F.baseDay).totalActive == 1)
    }

    @Test func aDuplicateListingOfAnActiveTokenActsAsAnUpdate() throws {
        var renamed = Self.infy
        renamed.name = "INFOSYS LTD"
        let catalog = try catalog([.instrumentListed(Self.infy), .instrumentListed(renamed)])
        let record = try #require(catalog.instrument(token: 101))
        #expect(record.instrument.name == "INFOSYS LTD")
        #expect(record.listedOffset == 0)
        #expect(record.updatedTime == Timestamp(nanoseconds: 1_000_000_000))
        #expect(catalog.snapshot.count == 1)
        #expect(try catalog.page().total == 1)
    }

    @Test func reListingADelistedTokenMakesItActiveAgain() throws {
        let catalog = try catalog([.instrumentListed(Self.infy), .instrumentDelisted(token: 101), .instrumentListed(Self.infy)])
        let record = try #require(catalog.instrument(token: 101))
        #expect(record.isActive)
        #expect(record.listedOffset == 2)
        #expect(record.delistedTime == nil)
        #expect(try catalog.page().total == 1)
        #expect(try catalog.page(matching: CatalogFilter(activity: .delisted)).total == 0)
    }

    @Test func updatingAnUnknownTokenChangesNothing() throws {
        let catalog = try catalog([.instrumentUpdated(Self.infy)])
        #expect(catalog.instrument(token: 101) == nil)
        #expect(try catalog.page(matching: CatalogFilter(activity: .any)).total == 0)
    }

    @Test func delistingAnUnknownOrDelistedTokenChangesNothing() throws {
        let catalog = try catalog([.instrumentDelisted(token: 7), .instrumentListed(Self.infy),
                                   .instrumentDelisted(token: 101), .instrumentDelisted(token: 101)])
        #expect(catalog.instrument(token: 7) == nil)
        #expect(catalog.instrument(token: 101)?.delistedTime == Timestamp(nanoseconds: 2_000_000_000))
    }

    @Test func updatingADelistedTokenKeepsItDelisted() throws {
        var renamed = Self.infy
        renamed.tradingSymbol = "INFY-OLD"
        let catalog = try catalog([.instrumentListed(Self.infy), .instrumentDelisted(token: 101), .instrumentUpdated(renamed)])
        let record = try #require(catalog.instrument(token: 101))
        #expect(!record.isActive)
        #expect(record.instrument.tradingSymbol == "INFY-OLD")
    }

    @Test func theContentHashIgnoresBatchingAndSlotOrder() throws {
        var random = SplitMix64(seed: 11)
        let events = F.randomEvents(count: 500, tokens: 80, using: &random)
        let whole = try catalog(events)
        let split = InstrumentCatalog()
        var offset: UInt64 = 0
        for chunk in stride(from: 0, to: events.count, by: 37) {
            let part = Array(events[chunk..<min(chunk + 37, events.count)])
            try split.applyAndPublish(part, from: offset)
            offset += UInt64(part.count)
        }
        #expect(whole.contentHash() == split.contentHash())
        let other = try catalog(Array(events.dropLast()))
        #expect(other.contentHash() != whole.contentHash() || events.last.map { if case .tick = $0 { true } else { false } } == true)
    }

    // MARK: paging

    @Test func pagesAreSortedBySymbolThenTokenAndCarryTheirOffset() throws {
        let catalog = try catalog([
            .instrumentListed(F.instrument(token: 3, exchange: "BSE", symbol: "TCS", name: "TCS")),
            .instrumentListed(F.instrument(token: 2, symbol: "TCS", name: "TCS")),
            .instrumentListed(F.instrument(token: 9, symbol: "ACC", name: "ACC")),
        ])
        let page = try catalog.page(limit: 2)
        #expect(page.instruments.map(\.token) == [9, 2])
        #expect(page.total == 3)
        #expect(page.asOfOffset == 3)
        let cursor: String = try #require(page.nextCursor)
        let next = try catalog.page(after: cursor, limit: 2)
        #expect(next.instruments.map(\.token) == [3])
        #expect(next.nextCursor == nil)
    }

    @Test func theDefaultLimitIsFiftyAndLimitsOutsideOneToAThousandAreRefused() throws {
        let events: [Event] = (1...120).map { .instrumentListed(F.instrument(token: $0, symbol: "S\($0)", name: "N")) }
        let catalog = try catalog(events)
        #expect(try catalog.page().instruments.count == 50)
        #expect(throws: CatalogError.invalidLimit(0)) { try catalog.page(limit: 0) }
        #expect(throws: CatalogError.invalidLimit(1001)) { try catalog.page(limit: 1001) }
        #expect(try catalog.page(limit: 1000).instruments.count == 120)
    }

    @Test(arguments: ["", "not-base64!", "AAAA", "AQ"])
    func aMalformedCursorIsAClearError(cursor: String) throws {
        let catalog = try catalog([.instrumentListed(Self.infy)])
        #expect(throws: CatalogError.invalidCursor(cursor)) { try catalog.page(after: cursor) }
    }

    @Test func aCursorExpiresOnlyWhenItsSnapshotIsOutOfTheHistoryAndOlderThanFiveMinutes() throws {
        let clock = ManualClock()
        let events: [Event] = (1...10).map { .instrumentListed(F.instrument(token: $0, symbol: "S\($0)", name: "N")) }
        let catalog = try catalog(events, clock: clock, retained: 2)
        let cursor = try #require(try catalog.page(limit: 3).nextCursor)
        for offset in 10..<15 as Range<UInt64> {
            try catalog.applyAndPublish([.instrumentDelisted(token: UInt32(offset - 9))], from: offset)
        }
        clock.advance(seconds: 299)
        #expect(try catalog.page(after: cursor, limit: 3).instruments.count == 3) // issued recently: kept

        // Using a cursor issues the next one and refreshes the snapshot; an unused one ages out.
        clock.advance(seconds: 301)
        try catalog.applyAndPublish([.tick(Tick(token: 1, price: 1, volume: 1))], from: 15)
        #expect(throws: CatalogError.expiredCursor(asOfOffset: 10)) { try catalog.page(after: cursor, limit: 3) }
    }

    /// Each snapshot holds the whole catalog: only so many older ones stay pinned by cursors, those
    /// whose cursor was issued most recently.
    @Test func atMostThePinnedLimitOfOlderSnapshotsOutliveTheHistory() throws {
        let clock = ManualClock()
        let catalog = InstrumentCatalog(retainedSnapshots: 1, pinnedSnapshots: 2, clock: { clock.read() })
        try catalog.applyAndPublish((1...10).map { .instrumentListed(F.instrument(token: $0, symbol: "S\($0)", name: "N")) }, from: 0)
        // A cursor into each of four successive snapshots, one a second; then the catalog moves on.
        var cursors: [String] = []
        for offset in 10..<14 as Range<UInt64> {
            cursors.append(try #require(try catalog.page(limit: 3).nextCursor))
            clock.advance(seconds: 1)
            try catalog.applyAndPublish([.tick(Tick(token: 1, price: 1, volume: 1))], from: offset)
        }
        // All four cursors are minutes from expiring, but only the snapshots of the newest two (as of offsets 12
        // and 13) are kept besides the current one: those of 10 and 11 are gone.
        #expect(throws: CatalogError.expiredCursor(asOfOffset: 10)) { try catalog.page(after: cursors[0], limit: 3) }
        #expect(throws: CatalogError.expiredCursor(asOfOffset: 11)) { try catalog.page(after: cursors[1], limit: 3) }
        #expect(try catalog.page(after: cursors[2], limit: 3).instruments.count == 3)
        #expect(try catalog.page(after: cursors[3], limit: 3).instruments.count == 3)
    }

    @Test func aCursorRoundTripsThroughItsText() throws {
        let cursor = CatalogCursor(asOfOffset: 123_456_789, tradingSymbol: "NIFTY26DEC24000CE", token: 0xABCDEF)
        let text = cursor.encoded()
        #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
        #expect(try CatalogCursor(decoding: text) == cursor)
    }

    @Test func unknownFilterValuesMatchNothing() throws {
        let catalog = try catalog([.instrumentListed(Self.infy)])
        #expect(try catalog.page(matching: CatalogFilter(exchange: "XX")).total == 0)
        #expect(try catalog.page(matching: CatalogFilter(query: "zzz")).total == 0)
        #expect(try catalog.page(matching: CatalogFilter(expiryFrom: F.baseDay)).total == 0) // no expiry
    }

    @Test func queryMatchesSymbolOrNameCaseInsensitivelyButNotAcrossThem() throws {
        let catalog = try catalog([.instrumentListed(Self.infy)])
        for q in ["inf", "INFY", "nfy", "osys", "InFoSyS", "i"] {
            #expect(try catalog.page(matching: CatalogFilter(query: q)).total == 1, "\(q)")
        }
        #expect(try catalog.page(matching: CatalogFilter(query: "infyinfo")).total == 0)
        #expect(try catalog.page(matching: CatalogFilter(query: "yi")).total == 0)
    }

    // MARK: search

    @Test func searchRanksExactSymbolThenPrefixThenSubstring() throws {
        let catalog = try catalog([
            .instrumentListed(F.instrument(token: 1, symbol: "XINFY", name: "X")),          // substring
            .instrumentListed(F.instrument(token: 2, symbol: "INFYBEES", name: "NIPPON")),   // symbol prefix
            .instrumentListed(F.instrument(token: 3, exchange: "BSE", symbol: "INFY", name: "INFOSYS")), // exact
            .instrumentListed(F.instrument(token: 4, symbol: "ABC", name: "INFY FUND")),     // name holds it
            .instrumentListed(F.instrument(token: 5, symbol: "INFY", name: "INFOSYS")),      // exact
            .instrumentListed(F.instrument(token: 6, symbol: "AINFY", name: "Y")),           // substring
            .instrumentListed(F.instrument(token: 7, symbol: "INFYX", name: "Z")),           // delisted below
            .instrumentListed(F.instrument(token: 8, symbol: "infy-sme", name: "Z")),        // lowercase symbol prefix
            .instrumentDelisted(token: 7),
        ])
        #expect(catalog.search("infy").map(\.token) == [3, 5, 2, 8, 4, 6, 1])
        #expect(catalog.search("INFY", limit: 3).map(\.token) == [3, 5, 2])
        #expect(catalog.search("infy", limit: 1).map(\.token) == [3])
        #expect(catalog.search("").isEmpty)
        #expect(catalog.search("qqq").isEmpty)
    }

    /// The ranking written out by brute force.
    static func referenceSearch(_ text: String, in records: [InstrumentRecord], limit: Int) -> [UInt32] {
        let q = text.lowercased()
        func tier(_ r: InstrumentRecord) -> Int? {
            let symbol = r.instrument.tradingSymbol.lowercased()
            if symbol == q { return 0 }
            if symbol.hasPrefix(q) { return 1 }
            return symbol.contains(q) || r.instrument.name.lowercased().contains(q) ? 2 : nil
        }
        return records.filter(\.isActive).compactMap { r in tier(r).map { (r, $0) } }
            .sorted { a, b in
                if a.1 != b.1 { return a.1 < b.1 }
                return InstrumentRecord.precedes(a.0, b.0)
            }
            .prefix(limit).map(\.0.token)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func searchMatchesABruteForceRanking(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var instruments = KiteLikeInstruments.make(count: 6_000, seed: seed)
        for i in stride(from: 0, to: instruments.count, by: 97) {
            instruments[i].tradingSymbol = instruments[i].tradingSymbol.lowercased() // irregular symbols
        }
        var events: [Event] = instruments.map { .instrumentListed($0) }
        for _ in 0..<300 { events.append(.instrumentDelisted(token: instruments[random.index(instruments.count)].token)) }
        let catalog = try catalog(events)
        let records = catalog.snapshot.page(matching: CatalogFilter(activity: .any), after: nil, limit: Int.max).instruments
        for text in ["nifty", "NIFTY", "ifty", "n", "i", "ba", "bankn", "26dec", "ce", "tcs", "xyz", "RELIANCE", "y2", "00c"] {
            for limit in [1, 30, 200] {
                #expect(catalog.search(text, limit: limit).map(\.token) == Self.referenceSearch(text, in: records, limit: limit),
                        "\(text) limit \(limit)")
            }
        }
        // Exact symbols, irregular ones included.
        for record in records.prefix(20) where record.isActive {
            let found = catalog.search(record.instrument.tradingSymbol.uppercased(), limit: 30).map(\.token)
            #expect(found == Self.referenceSearch(record.instrument.tradingSymbol.uppercased(), in: records, limit: 30))
        }
    }

    @Test func searchDefaultsToThirtyResults() throws {
        let events: [Event] = (1...40).map { .instrumentListed(F.instrument(token: $0, symbol: "NIFTY\($0)", name: "NIFTY")) }
        #expect(try catalog(events).search("nifty").count == 30)
    }

    // MARK: stats

    @Test func statsAddUpAndCountExpiriesFromTheGivenDay() throws {
        var random = SplitMix64(seed: 5)
        let events = F.randomEvents(count: 2000, tokens: 500, using: &random)
        let catalog = try catalog(events)
        var reference = ReferenceCatalog()
        for (i, e) in events.enumerated() {
            reference.apply(LogEntry(offset: UInt64(i), time: Timestamp(nanoseconds: Int64(i) * 1_000_000_000), event: e))
        }
        let active = reference.records.values.filter(\.isActive)
        for offset in [0, 3, 6, 20] as [Int32] {
            let today = CalendarDay(rawValue: F.baseDay.rawValue + offset)
            let stats = catalog.stats(today: today)
            #expect(stats.totalActive == active.count)
            #expect(stats.byExchange.values.reduce(0, +) == stats.totalActive)
            #expect(stats.bySegment.values.reduce(0, +) == stats.totalActive)
            #expect(stats.byInstrumentType.values.reduce(0, +) == stats.totalActive)
            #expect(stats.byExchange["NFO"] == active.filter { $0.instrument.exchange == "NFO" }.count)
            #expect(stats.expiringToday == active.filter { $0.instrument.expiry == today }.count)
            // 2026-11-26 is a Thursday: its week ends on Sunday 2026-11-29.
            let weekday = Int((today.rawValue % 7 + 7 + 3) % 7)
            let sunday = CalendarDay(rawValue: today.rawValue + Int32(6 - weekday))
            #expect(stats.expiringThisWeek == active.filter { $0.instrument.expiry.map { $0 >= today && $0 <= sunday } ?? false }.count)
            #expect(stats.asOfOffset == UInt64(events.count))
        }
        #expect(F.baseDay.description == "2026-11-26")
        let thursday = catalog.stats(today: F.baseDay)
        #expect(thursday.expiringThisWeek == active.filter {
            $0.instrument.expiry.map { $0.rawValue >= F.baseDay.rawValue && $0.rawValue <= F.baseDay.rawValue + 3 } ?? false
        }.count)
    }
}
