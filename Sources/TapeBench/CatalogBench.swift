import EventLog
import Foundation
import Projections
import Services

/// Issue #3's benchmark: catalog rebuild from the fixture's log, then query latency against SQLite.
struct CatalogBench {
    func run() throws -> [Figure] {
        let root = NSTemporaryDirectory() + "tape-bench-catalog-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }

        // The demo's log: the expired contracts listed, then the day's master (which delists them).
        let fixture = InstrumentFixture.generate(seed: 1)
        let log = try EventLog(directory: root + "/log", options: LogOptions(durability: .never))
        try BenchLog.appendInstruments(to: log)
        let events = log.acceptedEnd
        try log.close()

        let projection = InstrumentCatalog()
        let runner = ProjectionRunner(projection: projection, log: try LogReader(directory: root + "/log"),
                                      databasePath: root + "/projections.sqlite")
        let rebuildSeconds = try measure { try runner.rebuild() }
        guard projection.snapshot.total(matching: CatalogFilter()) == InstrumentFixture.activeCount else {
            throw BenchError("rebuilt catalog has \(projection.snapshot.total(matching: CatalogFilter())) active instruments")
        }

        let figures = try CatalogBenchmark.run(instruments: fixture.active, queries: 100_000, sqliteQueries: 5_000,
                                               sqlitePath: root + "/peer.sqlite")
        guard figures.mismatches == 0 else { throw BenchError("\(figures.mismatches) page answers differ from SQLite") }
        let rebuildRate = Double(events) / rebuildSeconds
        printTable([
            ("catalog rebuild from the log", format(rebuildRate) + " events/s", "", "", nil),
            ("page p50 / p99", "\(us(figures.pageP50)) / \(us(figures.pageP99)) µs", "SQLite with indexes p50 / p99",
             "\(us(figures.sqlitePageP50)) / \(us(figures.sqlitePageP99)) µs", figures.sqlitePageP99 / figures.pageP99),
            ("search p99", "\(us(figures.searchP99)) µs", "", "", nil),
            ("stats p99", "\(us(figures.statsP99)) µs", "", "", nil),
        ])
        print("""
        {"bench":"catalog","instruments":\(figures.instruments),"events":\(events),"rebuild_events_per_s":\(Int(rebuildRate)),\
        "page_p50_us":\(round3(figures.pageP50)),"page_p99_us":\(round3(figures.pageP99)),\
        "sqlite_page_p50_us":\(round3(figures.sqlitePageP50)),"sqlite_page_p99_us":\(round3(figures.sqlitePageP99)),\
        "page_p99_vs_sqlite":\(round3(figures.sqlitePageP99 / figures.pageP99)),"search_p99_us":\(round3(figures.searchP99)),\
        "stats_p99_us":\(round3(figures.statsP99)),"page_queries":\(figures.pageQueries),"sqlite_page_queries":\(figures.sqlitePageQueries)}
        """)
        return [
            Figure(suite: "catalog", name: "catalog rebuild from the log", value: rebuildRate),
            Figure(suite: "catalog", name: "page p99", value: round3(figures.pageP99), unit: .microseconds, target: .atMost(200)),
            Figure(suite: "catalog", name: "page p99 against SQLite", value: round3(figures.pageP99), unit: .microseconds,
                   peer: "SQLite with indexes", peerValue: round3(figures.sqlitePageP99), target: .ratioAtLeast(5)),
            Figure(suite: "catalog", name: "search p99", value: round3(figures.searchP99), unit: .microseconds),
            Figure(suite: "catalog", name: "stats p99", value: round3(figures.statsP99), unit: .microseconds, target: .atMost(20)),
        ]
    }

    private func us(_ value: Double) -> String { value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value) }
}
