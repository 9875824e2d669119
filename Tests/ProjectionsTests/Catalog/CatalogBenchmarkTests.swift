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
}
