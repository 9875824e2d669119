import EventLog
import Synchronization

/// The candles projection: OHLCV bars at every `CandleResolution` for every instrument that
/// ticks, kept in SQLite and served from memory. The newest (open) bar of each series is a row
/// of `candles_open`, every older bar a row of `candles`: a commit rewrites the few pages of
/// open bars, not one page per series scattered through the history (version 1 kept both in
/// `candles` and wrote about 40 MB a second at 100,000 ticks/s).
///
/// Each (token, resolution) is one array of bars sorted by start time, unique. A tick updates
/// the bar of its bucket in each resolution; a late tick (time before the newest bar) updates
/// the older bar it belongs to, or inserts it in order where there was a gap — never a
/// duplicate. `Tick.volume` is one trade's quantity, summed per bar. Prices are in the
/// instrument's scale, the `decimals` of its first tick (see `Tick.price(inDecimals:)`).
///
/// Threads: the fold (`CandleFold`) belongs to the thread running its `ProjectionRunner`;
/// queries run on any thread against `published`. The bar arrays exist once, in the published
/// store: the fold keeps only each series' open bar and the bars changed since the last
/// publish, persist writes exactly those, and publish writes them into the published arrays in
/// place under the lock. Queries copy what they return, so the arrays are never shared and a
/// publish costs the bars its batch changed, however long the history.
public final class CandlesProjection: TickFolding, @unchecked Sendable {
    public let name = "candles"
    public let version = 2
    public let tables = ["candles", "candles_open", "candle_series"]

    // Fold state, runner thread only.
    private var fold = CandleFold()
    /// What `load` read, published (replacing everything) by the next `publish`.
    private var reloaded: CandleStore? = CandleStore()

    // Published state, any thread.
    private let published = Mutex(CandleStore())

    /// An empty projection; the runner loads or rebuilds it.
    public init() {}

    // MARK: Projection

    public func migrate(_ db: Database) throws {
        // Times in ns since the epoch (a bar's `time` is its bucket start, `open_time` and
        // `close_time` the ticks that set open and close); `resolution` in seconds; prices in
        // minor units of the token's `decimals`; volume as the Int64 bit pattern of a UInt64.
        // `candles_open` has the same columns, one row per (token, resolution).
        let columns = """
            token INTEGER NOT NULL, resolution INTEGER NOT NULL, time INTEGER NOT NULL,
            open INTEGER NOT NULL, high INTEGER NOT NULL, low INTEGER NOT NULL, close INTEGER NOT NULL,
            volume INTEGER NOT NULL, open_time INTEGER NOT NULL, close_time INTEGER NOT NULL
            """
        try db.execute("""
            CREATE TABLE IF NOT EXISTS candle_series(
                token INTEGER PRIMARY KEY,
                decimals INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS candles(\(columns), PRIMARY KEY (token, resolution, time)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS candles_open(\(columns), PRIMARY KEY (token, resolution)) WITHOUT ROWID
            """)
    }

    public func load(from db: Database) throws {
        var store = CandleStore()
        var tokens: [UInt32] = []
        let series = try db.prepare("SELECT token, decimals FROM candle_series ORDER BY token")
        while try series.step() {
            let token = UInt32(truncatingIfNeeded: series.int64(at: 0))
            store.slotOfToken[token] = Int32(tokens.count)
            tokens.append(token)
            store.decimals.append(UInt8(truncatingIfNeeded: series.int64(at: 1)))
        }
        store.series = Array(repeating: [], count: tokens.count * CandleFold.resolutionCount)
        // Older bars first, then each series' open bar after them (its time is the newest).
        try loadBars(from: "candles", into: &store, db) { _, _, _ in }
        var openBars = [CandleBar?](repeating: nil, count: store.series.count)
        try loadBars(from: "candles_open", into: &store, db) { series, bar, previous in
            guard openBars[series] == nil, previous.map({ $0.time < bar.time }) ?? true else {
                throw ProjectionFailure(offset: nil, eventType: nil, message: """
                    candles_open row (token \(tokens[series / CandleFold.resolutionCount])) is not the newest bar \
                    of its series: rebuild the candles projection
                    """)
            }
            openBars[series] = bar
        }
        // A token's first tick writes a bar in every resolution in the same transaction as its row.
        if let series = openBars.firstIndex(where: { $0 == nil }) {
            throw ProjectionFailure(offset: nil, eventType: nil, message: """
                token \(tokens[series / CandleFold.resolutionCount]) has no open \
                \(CandleResolution.allCases[series % CandleFold.resolutionCount]) candle: rebuild the candles projection
                """)
        }
        fold = CandleFold(tokens: tokens, decimals: store.decimals, openBars: openBars.map { $0! })
        reloaded = store
    }

    /// Appends the rows of `table` to their series in `store`, in (token, resolution, time)
    /// order, and calls `loaded` with each row's series and bar, and the bar it follows.
    private func loadBars(from table: String, into store: inout CandleStore, _ db: Database,
                          loaded: (_ series: Int, _ bar: CandleBar, _ previous: CandleBar?) throws -> Void) throws {
        let bars = try db.prepare("""
            SELECT token, resolution, time, open, high, low, close, volume, open_time, close_time
            FROM \(table) ORDER BY token, resolution, time
            """)
        while try bars.step() {
            let token = UInt32(truncatingIfNeeded: bars.int64(at: 0))
            guard let slot = store.slotOfToken[token], let resolution = CandleResolution(seconds: bars.int64(at: 1)) else {
                throw ProjectionFailure(offset: nil, eventType: nil, message: """
                    \(table) row (token \(token), resolution \(bars.int64(at: 1)) s) has no candle_series row or an \
                    unknown resolution: rebuild the candles projection
                    """)
            }
            let series = Int(slot) * CandleFold.resolutionCount + resolution.index
            let bar = CandleBar(
                time: bars.int64(at: 2), open: bars.int64(at: 3), high: bars.int64(at: 4), low: bars.int64(at: 5),
                close: bars.int64(at: 6), volume: UInt64(bitPattern: bars.int64(at: 7)),
                openTime: bars.int64(at: 8), closeTime: bars.int64(at: 9))
            let previous = store.series[series].last
            store.series[series].append(bar)
            try loaded(series, bar, previous)
        }
    }

    public var consumedTypes: EventTypeMask? { EventTypeMask([.tick]) }

    public func apply(_ entry: LogEntry) throws {
        guard case .tick(let tick) = entry.event else { return }
        apply(tick, time: entry.time, offset: entry.offset)
    }

    public func apply(_ tick: Tick, time: Timestamp, offset: UInt64) {
        fold.apply(tick, at: time.rawValue) { series, start in self.publishedBar(ofSeries: series, startingAt: start) }
    }

    /// The bar as last published (or loaded), for a late tick.
    private func publishedBar(ofSeries series: Int, startingAt start: Int64) -> CandleBar? {
        if let reloaded { return reloaded.series[series].bar(at: start) }
        return published.withLock { store in
            series < store.series.count ? store.series[series].bar(at: start) : nil
        }
    }

    public func persist(to db: Database) throws {
        let newSlots = fold.newSlots
        if !newSlots.isEmpty {
            let insert = try db.prepare("INSERT OR REPLACE INTO candle_series(token, decimals) VALUES (?, ?)")
            for slot in newSlots {
                try insert.run([.integer(Int64(fold.tokens[slot])), .integer(Int64(fold.decimals[slot]))])
            }
        }
        let closed = try db.prepare(Self.upsert(into: "candles", key: ["token", "resolution", "time"]))
        let open = try db.prepare(Self.upsert(into: "candles_open", key: ["token", "resolution"]))
        let tokens = fold.tokens
        func row(_ series: Int, _ bar: CandleBar) -> [SQLiteValue] {
            [
                .integer(Int64(tokens[series / CandleFold.resolutionCount])),
                .integer(CandleResolution.allCases[series % CandleFold.resolutionCount].seconds), .integer(bar.time),
                .integer(bar.open), .integer(bar.high), .integer(bar.low), .integer(bar.close),
                .integer(Int64(bitPattern: bar.volume)), .integer(bar.openTime), .integer(bar.closeTime),
            ]
        }
        try fold.forEachChangedBar(closed: { try closed.run(row($0, $1)) }, open: { try open.run(row($0, $1)) })
    }

    /// An insert of one bar row into `table` that updates the row with the same `key` instead.
    private static func upsert(into table: String, key: [String]) -> String {
        let columns = ["token", "resolution", "time", "open", "high", "low", "close", "volume", "open_time", "close_time"]
        let updates = columns.filter { !key.contains($0) }.map { "\($0) = excluded.\($0)" }
        return """
            INSERT INTO \(table)(\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))
            ON CONFLICT(\(key.joined(separator: ", "))) DO UPDATE SET \(updates.joined(separator: ", "))
            """
    }

    public func publish(through offset: UInt64) {
        published.withLock { store in
            // Moved, not copied: the store must own its arrays alone, or the merge below would copy them.
            if let replacement = reloaded.take() { store = replacement }
            fold.publish(into: &store)
            store.asOfOffset = offset
        }
    }

    public func contentHash() -> String {
        var hash = FNV1a64()
        var w = ByteWriter(capacity: 4096)
        let tokens = fold.tokens
        var changed: [Int: [CandleBar]] = [:]
        let collect = { (series: Int, bar: CandleBar) in changed[series, default: []].append(bar) }
        fold.forEachChangedBar(closed: collect, open: collect)
        for slot in tokens.indices.sorted(by: { tokens[$0] < tokens[$1] }) {
            w.bytes.removeAll(keepingCapacity: true)
            w.writeVarint(UInt64(tokens[slot]))
            w.write(fold.decimals[slot])
            for resolution in 0..<CandleFold.resolutionCount {
                let series = slot * CandleFold.resolutionCount + resolution
                // The published bars with this batch's changes over them: the state as the fold sees it.
                var bars = reloaded.map { $0.series[series] }
                    ?? published.withLock { series < $0.series.count ? $0.series[series] : [] }
                for bar in changed[series] ?? [] { bars.merge(bar) }
                w.writeVarint(UInt64(bars.count))
                for bar in bars {
                    w.writeSignedVarint(bar.time)
                    w.writeSignedVarint(bar.open)
                    w.writeSignedVarint(bar.high)
                    w.writeSignedVarint(bar.low)
                    w.writeSignedVarint(bar.close)
                    w.writeVarint(bar.volume)
                    w.writeSignedVarint(bar.openTime)
                    w.writeSignedVarint(bar.closeTime)
                }
            }
            hash.combine(w.bytes)
        }
        return hash.hexDigest
    }

    // MARK: queries (any thread)

    /// The next log offset the published bars have not applied.
    public var asOfOffset: UInt64 { published.withLock { $0.asOfOffset } }

    /// Bars of `token` at `resolution` whose start time is in `[from, to)` — `from` inclusive,
    /// `to` exclusive, nil unbounded — keeping the last `limit` of them (the most recent, what
    /// a chart wants; nil: all, 0 or less: none), oldest first with unique times. The newest
    /// bar may still be open: it shows every tick published so far.
    public func candles(token: UInt32, resolution: CandleResolution, from: Timestamp? = nil, to: Timestamp? = nil,
                        limit: Int? = nil) -> [Candle] {
        published.withLock { $0.candles(token: token, resolution: resolution, from: from, to: to, limit: limit) }
    }

    /// The last `count` bars starting before `before` (exclusive), oldest first: a TradingView
    /// datafeed's countback request.
    public func candles(token: UInt32, resolution: CandleResolution, before: Timestamp, count: Int) -> [Candle] {
        candles(token: token, resolution: resolution, from: nil, to: before, limit: count)
    }
}
