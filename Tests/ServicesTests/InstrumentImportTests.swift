import EventLog
import Testing
@testable import Services

struct InstrumentImportTests {
    static func make(
        _ token: UInt32, _ symbol: String, exchange: String = "NFO", lotSize: UInt32 = 65,
        expiry: CalendarDay? = CalendarDay(year: 2026, month: 12, day: 29)
    ) -> Instrument {
        Instrument(
            token: token, exchangeToken: token >> 8, tradingSymbol: symbol, name: "NIFTY", expiry: expiry,
            strike: 0, tickSize: 0.1, lotSize: lotSize, instrumentType: "FUT", segment: exchange + "-FUT",
            exchange: exchange)
    }

    static func rows(_ instruments: [Instrument]) -> [KiteInstrumentCSV.Row] { KiteInstrumentCSVTestRows.make(instruments) }

    /// What the instruments projection will do with the events: the active catalog after them.
    static func apply(_ events: [Event], to catalog: [UInt32: Instrument]) -> [UInt32: Instrument] {
        var catalog = catalog
        for event in events {
            switch event {
            case .instrumentListed(let instrument), .instrumentUpdated(let instrument): catalog[instrument.token] = instrument
            case .instrumentDelisted(let token): catalog[token] = nil
            default: Issue.record("unexpected event \(event)")
            }
        }
        return catalog
    }

    @Test func firstImportListsEveryRowSortedByToken() {
        let file = [Self.make(300, "C"), Self.make(100, "A"), Self.make(200, "B")]
        let diff = InstrumentImport(catalog: [:], rows: Self.rows(file))
        #expect(diff.events == [100, 200, 300].map { token in .instrumentListed(file.first { $0.token == token }!) })
        #expect(diff.summary.listed == 3 && diff.summary.updated == 0 && diff.summary.delisted == 0)
    }

    @Test func changedFieldIsAnUpdateWithTheFullNewRecord() {
        let old = Self.make(100, "A", lotSize: 75)
        let new = Self.make(100, "A", lotSize: 65)
        let diff = InstrumentImport(catalog: [100: old], rows: Self.rows([new]))
        #expect(diff.events == [.instrumentUpdated(new)])
        #expect(diff.summary.updated == 1 && diff.summary.unchanged == 0)
    }

    @Test func activeTokenAbsentFromTheFileIsDelistedOnlyWithinScope() {
        let catalog: [UInt32: Instrument] = [
            100: Self.make(100, "A"), 200: Self.make(200, "B"), 300: Self.make(300, "X", exchange: "MCX"),
        ]
        let diff = InstrumentImport(catalog: catalog, rows: Self.rows([Self.make(100, "A")]))
        #expect(diff.exchanges == ["NFO"])
        #expect(diff.events == [.instrumentDelisted(token: 200)])
        #expect(diff.summary.unchanged == 1 && diff.summary.delisted == 1)
    }

    @Test func explicitScopeDelistsItsExchangesAndSkipsRowsOfOthers() {
        let catalog: [UInt32: Instrument] = [100: Self.make(100, "A"), 300: Self.make(300, "X", exchange: "MCX")]
        let file = [Self.make(100, "A"), Self.make(400, "Y", exchange: "CDS")]
        let diff = InstrumentImport(catalog: catalog, rows: Self.rows(file), scope: .exchanges(["nfo", "MCX"]))
        #expect(diff.events == [.instrumentDelisted(token: 300)])
        #expect(diff.summary.skipped == 1 && diff.summary.unchanged == 1)
    }

    @Test func delistedTokenThatReturnsIsListedAgain() {
        let instrument = Self.make(100, "A")
        let afterDelisting = Self.apply([.instrumentDelisted(token: 100)], to: [100: instrument])
        let diff = InstrumentImport(catalog: afterDelisting, rows: Self.rows([instrument]))
        #expect(diff.events == [.instrumentListed(instrument)])
    }

    @Test func duplicateTokenRejectsTheLaterRowWithItsLine() {
        let file = [Self.make(100, "A"), Self.make(200, "B"), Self.make(100, "A2")]
        let diff = InstrumentImport(catalog: [:], rows: Self.rows(file))
        #expect(diff.events == [.instrumentListed(file[0]), .instrumentListed(file[1])])
        #expect(diff.summary.rejected == [InstrumentRowError(line: 4, token: 100, reason: .duplicateToken(100, firstLine: 2))])
    }

    @Test func rowRejectedByTheParserDoesNotDelistItsInstrument() throws {
        let header = KiteInstrumentCSV.columns.joined(separator: ",")
        let text = header + "\n"
            + "100,0,A,\"NIFTY\",0,2026-12-29,0,0.1,65,FUT,NFO-FUT,NFO\n"
            + "200,0,B,\"NIFTY\",0,2026-12-32,0,0.1,65,FUT,NFO-FUT,NFO\n"
        let file = try KiteInstrumentCSV.parse(text)
        let catalog: [UInt32: Instrument] = [100: file.rows[0].instrument, 200: Self.make(200, "B")]
        let diff = InstrumentImport(catalog: catalog, file: file)
        #expect(diff.events == [])
        #expect(diff.summary.rejected.map(\.line) == [3])
        #expect(diff.summary.description.contains("line 3: expiry \"2026-12-32\""))
    }

    @Test func emptyFileDelistsNothingByDefault() {
        let diff = InstrumentImport(catalog: [100: Self.make(100, "A")], rows: [])
        #expect(diff.events == [] && diff.exchanges == [])
    }

    @Test func eventsComeDelistingsThenUpdatesThenListings() {
        let catalog: [UInt32: Instrument] = [100: Self.make(100, "OLD"), 200: Self.make(200, "B", lotSize: 1)]
        let file = [Self.make(50, "OLD"), Self.make(200, "B")]
        let diff = InstrumentImport(catalog: catalog, rows: Self.rows(file))
        #expect(diff.events.map(\.type) == [.instrumentDelisted, .instrumentUpdated, .instrumentListed])
        #expect(diff.records(at: Timestamp(seconds: 5)).allSatisfy { $0.time == Timestamp(seconds: 5) })
    }

    @Test(.enabled(if: KiteSampleFiles.isPresent, KiteSampleFiles.absentMessage))
    func importingTheSameRealFileTwiceYieldsNoEventsTheSecondTime() throws {
        let file = try KiteInstrumentCSV.parse(contentsOfFile: KiteSampleFiles.path("instruments_nfo_2026-08.csv"))
        let first = InstrumentImport(catalog: [:], file: file)
        #expect(first.summary.listed == 34_950)
        let catalog = Self.apply(first.events, to: [:])
        let second = InstrumentImport(catalog: catalog, file: file)
        #expect(second.events == [])
        #expect(second.summary.unchanged == 34_950)
    }

    @Test(arguments: 1...20 as ClosedRange<UInt64>)
    func applyingTheDiffMakesTheCatalogEqualTheFileWithinScope(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var catalog: [UInt32: Instrument] = [:]
        for token in UInt32(1)...40 where random.next() % 2 == 0 {
            catalog[token] = Self.make(token, "S\(token)", exchange: random.next() % 3 == 0 ? "MCX" : "NFO")
        }
        var file: [Instrument] = []
        for token in UInt32(1)...40 where random.next() % 2 == 0 {
            file.append(Self.make(token, "S\(token)", lotSize: random.next() % 2 == 0 ? 65 : 75))
        }
        let diff = InstrumentImport(catalog: catalog, rows: Self.rows(file))
        let after = Self.apply(diff.events, to: catalog)
        let expected = Dictionary(uniqueKeysWithValues: file.map { ($0.token, $0) })
            .merging(catalog.filter { $0.value.exchange == "MCX" || file.isEmpty }) { fromFile, _ in fromFile }
        #expect(after == expected)
        #expect(InstrumentImport(catalog: after, rows: Self.rows(file)).events == [])
    }
}
