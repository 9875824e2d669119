import EventLog
import Foundation
import Testing
@testable import Projections

@Suite struct CatalogBenchmarkTests {
    @Test func theBenchmarkAgreesWithSQLiteOnEverySampledPage() throws {
        let instruments = KiteLikeInstruments.make(count: 3_000, seed: 3)
        let figures = try CatalogBenchmark.run(instruments: instruments, queries: 1_000, sqliteQueries: 400, seed: 9)
        #expect(figures.mismatches == 0)
        #expect(figures.sqlitePageQueries == 400)
        #expect(figures.pageQueries > 400)
        #expect(figures.namedValues.map(\.name) == [
            "page_p50_us", "page_p99_us", "sqlite_page_p50_us", "sqlite_page_p99_us", "search_p99_us", "stats_p99_us",
        ])
    }

    /// Opt-in (TAPE_BENCH_LARGE=1): the full-size run, for a look at the figures; asserts no timing.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TAPE_BENCH_LARGE"] != nil))
    func fullSizeRunPrintsItsFigures() throws {
        let instruments = KiteLikeInstruments.make(count: 96_390, seed: 1)
        let figures = try CatalogBenchmark.run(instruments: instruments, queries: 20_000, sqliteQueries: 500)
        for (name, value) in figures.namedValues { print(name, value) }
        #expect(figures.mismatches == 0)
    }

    /// Opt-in (TAPE_BENCH_CSV=path to a Kite instruments CSV): real symbols, checked against SQLite.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TAPE_BENCH_CSV"] != nil))
    func aRealInstrumentDumpAgreesWithSQLite() throws {
        let path = try #require(ProcessInfo.processInfo.environment["TAPE_BENCH_CSV"])
        let instruments = try Self.parseKiteCSV(String(contentsOfFile: path, encoding: .utf8))
        let figures = try CatalogBenchmark.run(instruments: instruments, queries: 20_000, sqliteQueries: 1_000)
        for (name, value) in figures.namedValues { print(name, value) }
        print("instruments", figures.instruments, "mismatches", figures.mismatches)
        #expect(figures.mismatches == 0)
    }

    /// Just enough of Kite's raw instruments CSV for a benchmark (quoted names, no embedded quotes).
    static func parseKiteCSV(_ text: String) throws -> [Instrument] {
        var out: [Instrument] = []
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            var fields: [String] = []
            var field = "", inQuotes = false
            for c in line {
                if c == "\"" { inQuotes.toggle() } else if c == "," && !inQuotes { fields.append(field); field = "" } else { field.append(c) }
            }
            fields.append(field)
            guard fields.count == 12, let token = UInt32(fields[0]), let exchangeToken = UInt32(fields[1]) else { continue }
            out.append(Instrument(token: token, exchangeToken: exchangeToken, tradingSymbol: fields[2], name: fields[3],
                                  expiry: CalendarDay(iso: fields[5]), strike: Double(fields[6]) ?? 0,
                                  tickSize: Double(fields[7]) ?? 0, lotSize: UInt32(fields[8]) ?? 0,
                                  instrumentType: fields[9], segment: fields[10], exchange: fields[11]))
        }
        return out
    }
}
