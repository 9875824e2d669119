import EventLog
import Foundation
import Testing
@testable import Services

struct InstrumentFixtureTests {
    static let output = InstrumentFixture.generate(seed: 1)
    static let everything = output.active + output.expired
    static func isOption(_ instrument: Instrument) -> Bool { ["CE", "PE"].contains(instrument.instrumentType) }

    @Test func sameSeedAndDayGiveTheIdenticalMaster() {
        #expect(InstrumentFixture.generate(seed: 1) == Self.output)
    }

    @Test func differentSeedsGiveDifferentMasters() {
        #expect(InstrumentFixture.generate(seed: 2).active != Self.output.active)
    }

    @Test(arguments: [
        InstrumentFixture.defaultReferenceDay, CalendarDay(year: 2027, month: 3, day: 15),
        CalendarDay(year: 2026, month: 8, day: 7), CalendarDay(year: 2028, month: 2, day: 29),
    ])
    func everyReferenceDayListsExactly96390ActiveInstruments(day: CalendarDay) {
        let output = day == InstrumentFixture.defaultReferenceDay ? Self.output : InstrumentFixture.generate(seed: 7, referenceDay: day)
        #expect(output.active.count == 96_390)
        #expect(output.active.allSatisfy { ($0.expiry ?? day) >= day })
        #expect(output.expired.allSatisfy { $0.expiry.map { $0 < day && $0.rawValue >= day.rawValue - 14 } ?? false })
        #expect((1_000...10_000).contains(output.expired.count))
    }

    /// Fixtures/README.md quotes these; a change to the generator must update it.
    @Test func seedOneHasTheMixTheFixtureReadmeDocuments() {
        var byType: [String: Int] = [:]
        for instrument in Self.output.active { byType[instrument.instrumentType, default: 0] += 1 }
        #expect(byType == ["CE": 35_741, "PE": 35_741, "FUT": 816, "EQ": 24_092])
        #expect(Self.output.expired.count == 5_955)
    }

    @Test func tokensAreUniqueAcrossActiveAndExpired() {
        #expect(Set(Self.everything.map(\.token)).count == Self.everything.count)
    }

    @Test func tradingSymbolsAreUniquePerExchange() {
        let keys = Self.everything.map { $0.exchange + "|" + $0.tradingSymbol }
        #expect(Set(keys).count == keys.count)
    }

    @Test func tokensCarryKiteSegmentCodes() {
        let codes: [String: UInt32] = [
            "NSE": 1, "NFO-FUT": 2, "NFO-OPT": 2, "CDS-FUT": 3, "CDS-OPT": 3, "BSE": 4, "BFO-FUT": 5, "BFO-OPT": 5,
            "BCD-FUT": 6, "BCD-OPT": 6, "MCX-FUT": 7, "MCX-OPT": 7, "INDICES": 9,
        ]
        for instrument in Self.everything {
            #expect(codes[instrument.segment] == instrument.token & 0xFF, "\(instrument.tradingSymbol) \(instrument.segment)")
            #expect(instrument.exchangeToken == instrument.token >> 8)
            if codes[instrument.segment] != instrument.token & 0xFF { return }
        }
    }

    @Test func optionsAreAboutThreeQuartersOfTheMaster() {
        let options = Self.output.active.filter(Self.isOption).count
        let share = Double(options) / Double(Self.output.active.count)
        #expect(share > 0.70 && share < 0.80)
        let exchanges = Set(Self.output.active.map(\.exchange))
        #expect(exchanges == ["NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"])
    }

    @Test func everyCallHasItsPut() {
        let symbols = Set(Self.output.active.map { $0.exchange + "|" + $0.tradingSymbol })
        for call in Self.output.active where call.instrumentType == "CE" {
            let put = call.exchange + "|" + call.tradingSymbol.dropLast(2) + "PE"
            #expect(symbols.contains(put), "\(put)")
            if !symbols.contains(put) { return }
        }
    }

    @Test func symbolsAndTokensLookLikeKites() throws {
        let bySymbol = Dictionary(uniqueKeysWithValues: Self.output.active.map { ($0.exchange + "|" + $0.tradingSymbol, $0) })
        #expect(bySymbol["NSE|NIFTY 50"]?.token == 256_265)
        #expect(bySymbol["BSE|SENSEX"]?.token == 265)
        #expect(bySymbol["NSE|INFY"]?.instrumentType == "EQ")
        let future = try #require(bySymbol["NFO|NIFTY26DECFUT"])
        #expect(future.expiry == CalendarDay(year: 2026, month: 12, day: 29))
        #expect(future.lotSize == 65)
        // The first NIFTY weekly after Friday 2026-11-27 is Tuesday 2026-12-01: NIFTY26D01<strike>CE.
        let weekly = try #require(Self.output.active.first { $0.tradingSymbol.hasPrefix("NIFTY26D01") })
        #expect(weekly.expiry == CalendarDay(year: 2026, month: 12, day: 1))
        #expect(weekly.tradingSymbol == "NIFTY26D01" + KiteInstrumentCSV.format(weekly.strike) + weekly.instrumentType)
        #expect(Self.output.active.contains { $0.tradingSymbol.hasPrefix("SENSEX26D03") })
        #expect(Self.output.active.contains { $0.tradingSymbol.hasPrefix("CRUDEOIL26DEC") && $0.instrumentType == "CE" })
        #expect(Self.output.expired.contains { $0.tradingSymbol == "NIFTY26NOVFUT" })
    }

    @Test func tickSizesAreThoseOfTheirMarkets() {
        for instrument in Self.everything {
            switch instrument.exchange {
            case "CDS", "BCD": #expect(instrument.tickSize == 0.0025)
            case "NSE", "BSE": #expect([0.05, 0.01].contains(instrument.tickSize))
            case "NFO", "BFO":
                #expect(Self.isOption(instrument) ? [0.05, 0.01].contains(instrument.tickSize) : instrument.tickSize >= 0.01)
            default:
                #expect(instrument.tickSize > 0)
            }
        }
    }

    @Test func everyRowRoundTripsThroughTheCSVWriterAndParser() throws {
        for set in [Self.output.active, Self.output.expired] {
            let parsed = try KiteInstrumentCSV.parse(KiteInstrumentCSV.encode(set))
            #expect(parsed.errors == [])
            #expect(parsed.instruments == set)
        }
    }

    @Test func writtenFilesReadBackAsTheGeneratedSets() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tape-fixture-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let active = directory.appendingPathComponent("instruments.csv").path
        let expired = directory.appendingPathComponent("instruments_expired.csv").path
        try InstrumentFixture.writeCSV(seed: 1, to: active)
        try InstrumentFixture.writeExpiredCSV(seed: 1, to: expired)
        #expect(try KiteInstrumentCSV.parse(contentsOfFile: active).instruments == Self.output.active)
        #expect(try KiteInstrumentCSV.parse(contentsOfFile: expired).instruments == Self.output.expired)
    }

    @Test func importingTheExpiredFileThenTheActiveOneLeavesDelistedContracts() {
        let expired = InstrumentImport(catalog: [:], rows: KiteInstrumentCSVTestRows.make(Self.output.expired))
        #expect(expired.summary.listed == Self.output.expired.count)
        let catalog = InstrumentImportTests.apply(expired.events, to: [:])
        let active = InstrumentImport(catalog: catalog, rows: KiteInstrumentCSVTestRows.make(Self.output.active))
        #expect(active.summary.listed == 96_390)
        #expect(active.summary.delisted == Self.output.expired.count)
        #expect(Array(active.events.prefix(Self.output.expired.count))
            == Self.output.expired.map(\.token).sorted().map { .instrumentDelisted(token: $0) })
        let final = InstrumentImportTests.apply(active.events, to: catalog)
        #expect(InstrumentImport(catalog: final, rows: KiteInstrumentCSVTestRows.make(Self.output.active)).events == [])
    }

    @Test func liquidTokensAreDistinctActiveAndRankedByLiquidity() throws {
        let liquid = Self.output.liquid(count: 2_000)
        #expect(liquid.count == 2_000)
        #expect(Set(liquid).count == 2_000)
        #expect(liquid == InstrumentFixture.generate(seed: 1).liquid())
        let byToken = Dictionary(uniqueKeysWithValues: Self.output.active.map { ($0.token, $0) })
        let instruments = try liquid.map { try #require(byToken[$0]) }
        #expect(instruments.first?.tradingSymbol == "NIFTY 50")
        #expect(instruments.contains { $0.tradingSymbol == "NIFTY26DECFUT" })
        #expect(instruments.contains { $0.tradingSymbol == "INFY" && $0.exchange == "NSE" })
        let options = instruments.filter(Self.isOption)
        #expect(options.count > 1_000)
        #expect(Set(options.map(\.name)) == ["NIFTY", "BANKNIFTY"])
        #expect(Self.output.liquid(count: 10) == Array(liquid.prefix(10)))
    }
}

/// Rows with the line numbers a file of these instruments would give them.
enum KiteInstrumentCSVTestRows {
    static func make(_ instruments: [Instrument]) -> [KiteInstrumentCSV.Row] {
        instruments.enumerated().map { KiteInstrumentCSV.Row(line: $0.offset + 2, instrument: $0.element) }
    }
}
