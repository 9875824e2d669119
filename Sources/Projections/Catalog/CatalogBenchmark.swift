import EventLog
import Foundation

/// Measures catalog queries against the same queries on indexed SQLite; used by `tape-bench`.
///
/// Meant for release builds: in debug the figures only say the code runs.
public enum CatalogBenchmark {
    /// Per-query latencies in microseconds.
    public struct Figures: Hashable, Sendable {
        public var pageP50: Double
        public var pageP99: Double
        public var sqlitePageP50: Double
        public var sqlitePageP99: Double
        public var searchP99: Double
        public var statsP99: Double
        public var instruments: Int
        public var pageQueries: Int
        public var sqlitePageQueries: Int
        /// Sampled page queries whose total or first rows differed between the catalog and SQLite (must be 0).
        public var mismatches: Int

        /// The figures under the names the bench table and JSON use.
        public var namedValues: [(name: String, value: Double)] {
            [("page_p50_us", pageP50), ("page_p99_us", pageP99),
             ("sqlite_page_p50_us", sqlitePageP50), ("sqlite_page_p99_us", sqlitePageP99),
             ("search_p99_us", searchP99), ("stats_p99_us", statsP99)]
        }
    }

    /// One page request: a filter, an optional cursor position, a limit.
    struct PageQuery {
        var filter: CatalogFilter
        var after: (symbol: String, token: UInt32)?
        var limit: Int
    }

    /// Builds a catalog from `instruments`, runs `queries` seeded random page / search / stats
    /// queries (60 / 25 / 15 %), then the first `sqliteQueries` of the page queries on SQLite
    /// with indexes (`sqlitePath`, or a temporary file), and reports percentiles.
    public static func run(instruments: [Instrument], queries: Int = 100_000, sqliteQueries: Int = 5_000,
                           seed: UInt64 = 1, sqlitePath: String? = nil) throws -> Figures {
        let catalog = InstrumentCatalog()
        for (i, instrument) in instruments.enumerated() {
            try catalog.apply(LogEntry(offset: UInt64(i), time: .zero, event: .instrumentListed(instrument)))
        }
        catalog.publish(through: UInt64(instruments.count))
        let snapshot = catalog.snapshot

        var random = SplitMix64(seed: seed)
        let exchanges = Array(Set(instruments.map(\.exchange))).sorted()
        let segments = Array(Set(instruments.map(\.segment))).sorted()
        let types = Array(Set(instruments.map(\.instrumentType))).sorted()
        let expiries = Array(Set(instruments.compactMap(\.expiry))).sorted()
        let days = expiries.isEmpty ? [CalendarDay(rawValue: 20_000)] : expiries
        let all = snapshot.page(matching: CatalogFilter(activity: .any), after: nil, limit: Int.max).instruments
        func typedText() -> String {
            // What a user types: the start of a symbol or a name, 2 to 8 characters.
            let instrument = all.isEmpty ? instruments[0] : all[random.index(all.count)].instrument
            let source = random.next() % 3 == 0 ? instrument.name : instrument.tradingSymbol
            return String(source.prefix(2 + random.index(7))).lowercased()
        }

        var pageTimes: [Int64] = [], searchTimes: [Int64] = [], statsTimes: [Int64] = []
        var pageQueries: [PageQuery] = []
        let clock = ContinuousClock()
        for _ in 0..<queries {
            let kind = random.index(100)
            if kind < 60 {
                var filter = CatalogFilter()
                if random.index(2) == 0, !exchanges.isEmpty { filter.exchange = exchanges[random.index(exchanges.count)] }
                if random.index(10) < 3, !segments.isEmpty { filter.segment = segments[random.index(segments.count)] }
                if random.index(10) < 4, !types.isEmpty { filter.instrumentType = types[random.index(types.count)] }
                if random.index(4) == 0 { filter.query = typedText() }
                if random.index(5) == 0 {
                    let a = days[random.index(days.count)], b = days[random.index(days.count)]
                    filter.expiryFrom = min(a, b)
                    filter.expiryTo = max(a, b)
                }
                var after: (symbol: String, token: UInt32)?
                if random.index(10) == 0, !all.isEmpty {
                    let row = all[random.index(all.count)]
                    after = (row.instrument.tradingSymbol, row.token)
                }
                let limit = [50, 50, 50, 100, 1000][random.index(5)]
                let query = PageQuery(filter: filter, after: after, limit: limit)
                pageQueries.append(query)
                let start = clock.now
                let page = snapshot.page(matching: query.filter, after: query.after, limit: query.limit)
                pageTimes.append(nanoseconds(clock.now - start))
                blackHole(page.total)
            } else if kind < 85 {
                let text = typedText()
                let start = clock.now
                let results = snapshot.search(text)
                searchTimes.append(nanoseconds(clock.now - start))
                blackHole(results.count)
            } else {
                let today = days[random.index(days.count)]
                let start = clock.now
                let stats = snapshot.stats(today: today)
                statsTimes.append(nanoseconds(clock.now - start))
                blackHole(stats.totalActive)
            }
        }

        let peer = Array(pageQueries.prefix(sqliteQueries))
        let (sqliteTimes, mismatches) = try runOnSQLite(peer, instruments: instruments, snapshot: snapshot, path: sqlitePath)
        return Figures(
            pageP50: percentile(pageTimes, 0.50), pageP99: percentile(pageTimes, 0.99),
            sqlitePageP50: percentile(sqliteTimes, 0.50), sqlitePageP99: percentile(sqliteTimes, 0.99),
            searchP99: percentile(searchTimes, 0.99), statsP99: percentile(statsTimes, 0.99),
            instruments: instruments.count, pageQueries: pageTimes.count, sqlitePageQueries: sqliteTimes.count,
            mismatches: mismatches)
    }

    // MARK: the SQLite peer

    private static func runOnSQLite(_ queries: [PageQuery], instruments: [Instrument], snapshot: CatalogSnapshot,
                                    path: String?) throws -> (times: [Int64], mismatches: Int) {
        let file = path ?? NSTemporaryDirectory() + "tape-catalog-bench-\(getpid()).sqlite"
        for suffix in ["", "-wal", "-shm"] { unlink(file + suffix) }
        defer { if path == nil { for suffix in ["", "-wal", "-shm"] { unlink(file + suffix) } } }
        let db = try Database(path: file)
        try db.execute("""
            CREATE TABLE bench_instruments(
                token INTEGER PRIMARY KEY, tradingsymbol TEXT NOT NULL, name TEXT NOT NULL, expiry INTEGER,
                instrument_type TEXT NOT NULL, segment TEXT NOT NULL, exchange TEXT NOT NULL, active INTEGER NOT NULL);
            CREATE INDEX bench_by_symbol ON bench_instruments(active, tradingsymbol, token);
            CREATE INDEX bench_by_exchange ON bench_instruments(exchange, active, tradingsymbol, token);
            CREATE INDEX bench_by_segment ON bench_instruments(segment, active, tradingsymbol, token);
            CREATE INDEX bench_by_type ON bench_instruments(instrument_type, active, tradingsymbol, token);
            CREATE INDEX bench_by_expiry ON bench_instruments(expiry);
            """)
        try db.transaction {
            let insert = try db.prepare("INSERT OR REPLACE INTO bench_instruments VALUES (?, ?, ?, ?, ?, ?, ?, 1)")
            for i in instruments {
                try insert.run([.integer(Int64(i.token)), .text(i.tradingSymbol), .text(i.name),
                                i.expiry.map { .integer(Int64($0.rawValue)) } ?? .null,
                                .text(i.instrumentType), .text(i.segment), .text(i.exchange)])
            }
        }
        try db.execute("ANALYZE")

        var statements: [String: Statement] = [:]
        func statement(_ sql: String) throws -> Statement {
            if let cached = statements[sql] { return cached }
            let prepared = try db.prepare(sql)
            statements[sql] = prepared
            return prepared
        }
        var times: [Int64] = []
        var mismatches = 0
        let clock = ContinuousClock()
        for query in queries {
            let (whereSQL, values) = sqlCondition(query.filter)
            var pageSQL = "SELECT token FROM bench_instruments WHERE \(whereSQL)"
            var pageValues = values
            if let after = query.after {
                pageSQL += " AND (tradingsymbol, token) > (?, ?)"
                pageValues += [.text(after.symbol), .integer(Int64(after.token))]
            }
            pageSQL += " ORDER BY tradingsymbol, token LIMIT ?"
            pageValues.append(.integer(Int64(query.limit + 1))) // one more says whether a next page exists
            let countSQL = "SELECT count(*) FROM bench_instruments WHERE \(whereSQL)"

            let start = clock.now
            let page = try statement(pageSQL)
            page.reset()
            try page.bind(pageValues)
            var tokens: [UInt32] = []
            while try page.step() { tokens.append(UInt32(page.int64(at: 0))) }
            page.reset()
            let count = try statement(countSQL)
            count.reset()
            try count.bind(values)
            _ = try count.step()
            let total = Int(count.int64(at: 0))
            count.reset()
            times.append(nanoseconds(clock.now - start))

            let expected = snapshot.page(matching: query.filter, after: query.after, limit: query.limit)
            if expected.total != total || expected.instruments.map(\.token) != Array(tokens.prefix(query.limit))
                || expected.hasMore != (tokens.count > query.limit) {
                mismatches += 1
            }
        }
        return (times, mismatches)
    }

    /// The WHERE clause equivalent to `filter` (LIKE is ASCII case-insensitive, as the catalog's query is for ASCII).
    static func sqlCondition(_ filter: CatalogFilter) -> (String, [SQLiteValue]) {
        var clauses: [String] = []
        var values: [SQLiteValue] = []
        switch filter.activity {
        case .active: clauses.append("active = 1")
        case .delisted: clauses.append("active = 0")
        case .any: clauses.append("active IN (0, 1)")
        }
        if let v = filter.exchange { clauses.append("exchange = ?"); values.append(.text(v)) }
        if let v = filter.segment { clauses.append("segment = ?"); values.append(.text(v)) }
        if let v = filter.instrumentType { clauses.append("instrument_type = ?"); values.append(.text(v)) }
        if filter.expiryFrom != nil || filter.expiryTo != nil { clauses.append("expiry IS NOT NULL") }
        if let v = filter.expiryFrom { clauses.append("expiry >= ?"); values.append(.integer(Int64(v.rawValue))) }
        if let v = filter.expiryTo { clauses.append("expiry <= ?"); values.append(.integer(Int64(v.rawValue))) }
        if let q = filter.query, !q.isEmpty {
            let escaped = q.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            clauses.append("(tradingsymbol LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\')")
            values += [.text("%\(escaped)%"), .text("%\(escaped)%")]
        }
        return (clauses.joined(separator: " AND "), values)
    }

    // MARK: helpers

    private static func nanoseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    /// The value at `fraction` of the sorted samples, in microseconds.
    static func percentile(_ samples: [Int64], _ fraction: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        let index = min(sorted.count - 1, Int(Double(sorted.count) * fraction))
        return Double(sorted[index]) / 1_000
    }

    /// Keeps the optimizer from dropping a query whose result is otherwise unused.
    @inline(never) private static func blackHole(_ value: Int) {
        if value == Int.min { print(value) }
    }
}
