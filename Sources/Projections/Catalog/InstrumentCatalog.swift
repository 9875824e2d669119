import EventLog
import Synchronization

/// The instruments projection: folds InstrumentListed / InstrumentUpdated / InstrumentDelisted
/// into the Kite instrument master with lifecycle, keeps it in the `instruments` table, and
/// serves pages, search, stats and look-ups from immutable in-memory snapshots.
///
/// Fold semantics (pinned by tests):
/// - listing an unknown token adds it, active;
/// - listing an active token again is an update (never a second instrument);
/// - listing a delisted token re-activates it, with the new listing's offset and time;
/// - updating an unknown token is a no-op: an update cannot create an instrument, because
///   only a listing says when an instrument became tradable;
/// - updating a delisted token changes its fields and leaves it delisted;
/// - delisting an unknown or already delisted token is a no-op.
///
/// Threads: the fold state (everything `Projection` touches) belongs to the thread running
/// its `ProjectionRunner`. Query methods may be called from any thread: they read the latest
/// published snapshot (or the one a cursor pinned) under `published`.
public final class InstrumentCatalog: Projection, @unchecked Sendable {
    public let name = "instruments"
    public let version = 1
    public let tables = ["instruments"]

    /// Default and maximum page sizes.
    public static let defaultPageLimit = 50
    public static let maxPageLimit = 1_000

    // Fold state, runner thread only.
    private var records: [InstrumentRecord] = []
    private var slotOfToken: [UInt32: Int32] = [:]
    private var text = TextIndex()
    /// Slots changed since the last publish (persisted and re-indexed).
    private var changed: Set<Int32> = []
    /// After `load` the next snapshot is built from scratch.
    private var needsFullIndex = true

    // Published state, any thread.
    private struct Published {
        var current: CatalogSnapshot
        /// Recent snapshots, oldest first, with when a cursor into each was last issued.
        var history: [(snapshot: CatalogSnapshot, lastIssued: Timestamp?)]
    }
    private let published: Mutex<Published>
    private let retainedSnapshots: Int
    private let pinnedSnapshots: Int
    private let cursorLifetime: Duration
    private let clock: @Sendable () -> Timestamp

    /// - Parameters:
    ///   - retainedSnapshots: the newest snapshots kept for cursors, whatever their age.
    ///   - pinnedSnapshots: at most this many older ones are kept for cursors, those with the most
    ///     recently issued cursor first. Each holds the whole catalog: without a bound, readers paging
    ///     through a catalog that changed twice a second held 3.6 GB after two minutes.
    ///   - cursorLifetime: older snapshots are kept while a cursor into them was issued this recently.
    ///   - clock: used only to age cursors, never by the fold.
    public init(retainedSnapshots: Int = 8, pinnedSnapshots: Int = 8, cursorLifetime: Duration = .seconds(300),
                clock: @escaping @Sendable () -> Timestamp = ProjectionRunner.systemClock) {
        self.retainedSnapshots = max(1, retainedSnapshots)
        self.pinnedSnapshots = max(0, pinnedSnapshots)
        self.cursorLifetime = cursorLifetime
        self.clock = clock
        let empty = CatalogSnapshot(asOfOffset: 0, index: CatalogIndex(
            records: [], slotOfToken: [:], text: TextIndex(), previous: nil, changed: []))
        published = Mutex(Published(current: empty, history: [(empty, nil)]))
    }

    // MARK: Projection

    public func migrate(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS instruments(
                token INTEGER PRIMARY KEY,
                exchange_token INTEGER NOT NULL,
                tradingsymbol TEXT NOT NULL,
                name TEXT NOT NULL,
                expiry INTEGER,
                strike REAL NOT NULL,
                tick_size REAL NOT NULL,
                lot_size INTEGER NOT NULL,
                instrument_type TEXT NOT NULL,
                segment TEXT NOT NULL,
                exchange TEXT NOT NULL,
                active INTEGER NOT NULL,
                listed_offset INTEGER NOT NULL,
                listed_time INTEGER NOT NULL,
                updated_time INTEGER NOT NULL,
                delisted_time INTEGER
            )
            """)
    }

    public func load(from db: Database) throws {
        records = []
        slotOfToken = [:]
        text = TextIndex()
        changed = []
        needsFullIndex = true
        let select = try db.prepare("""
            SELECT token, exchange_token, tradingsymbol, name, expiry, strike, tick_size, lot_size,
                   instrument_type, segment, exchange, active, listed_offset, listed_time, updated_time, delisted_time
            FROM instruments ORDER BY token
            """)
        while try select.step() {
            let instrument = Instrument(
                token: UInt32(truncatingIfNeeded: select.int64(at: 0)),
                exchangeToken: UInt32(truncatingIfNeeded: select.int64(at: 1)),
                tradingSymbol: select.string(at: 2) ?? "", name: select.string(at: 3) ?? "",
                expiry: select.isNull(at: 4) ? nil : CalendarDay(rawValue: Int32(truncatingIfNeeded: select.int64(at: 4))),
                strike: select.double(at: 5), tickSize: select.double(at: 6),
                lotSize: UInt32(truncatingIfNeeded: select.int64(at: 7)),
                instrumentType: select.string(at: 8) ?? "", segment: select.string(at: 9) ?? "",
                exchange: select.string(at: 10) ?? "")
            let record = InstrumentRecord(
                instrument: instrument, isActive: select.int64(at: 11) != 0,
                listedOffset: UInt64(select.int64(at: 12)), listedTime: Timestamp(rawValue: select.int64(at: 13)),
                updatedTime: Timestamp(rawValue: select.int64(at: 14)),
                delistedTime: select.isNull(at: 15) ? nil : Timestamp(rawValue: select.int64(at: 15)))
            store(record, slot: nil)
        }
        changed = []
    }

    public var consumedTypes: EventTypeMask? { EventTypeMask([.instrumentListed, .instrumentUpdated, .instrumentDelisted]) }

    public func apply(_ entry: LogEntry) throws {
        switch entry.event {
        case .instrumentListed(let instrument):
            guard let slot = slotOfToken[instrument.token] else {
                store(InstrumentRecord(instrument: instrument, isActive: true, listedOffset: entry.offset,
                                       listedTime: entry.time, updatedTime: entry.time, delistedTime: nil), slot: nil)
                return
            }
            var record = records[Int(slot)]
            if !record.isActive {
                record.isActive = true
                record.listedOffset = entry.offset
                record.listedTime = entry.time
                record.delistedTime = nil
            }
            record.instrument = instrument
            record.updatedTime = entry.time
            store(record, slot: slot)
        case .instrumentUpdated(let instrument):
            guard let slot = slotOfToken[instrument.token] else { return }
            var record = records[Int(slot)]
            record.instrument = instrument
            record.updatedTime = entry.time
            store(record, slot: slot)
        case .instrumentDelisted(let token):
            guard let slot = slotOfToken[token], records[Int(slot)].isActive else { return }
            var record = records[Int(slot)]
            record.isActive = false
            record.delistedTime = entry.time
            store(record, slot: slot)
        default:
            return
        }
    }

    private func store(_ record: InstrumentRecord, slot existing: Int32?) {
        let slot: Int32
        if let existing {
            slot = existing
            records[Int(slot)] = record
        } else {
            slot = Int32(records.count)
            records.append(record)
            slotOfToken[record.token] = slot
        }
        text.set(slot: slot, symbol: record.instrument.tradingSymbol, name: record.instrument.name)
        changed.insert(slot)
    }

    public func persist(to db: Database) throws {
        guard !changed.isEmpty else { return }
        let upsert = try db.prepare("""
            INSERT OR REPLACE INTO instruments(
                token, exchange_token, tradingsymbol, name, expiry, strike, tick_size, lot_size,
                instrument_type, segment, exchange, active, listed_offset, listed_time, updated_time, delisted_time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for slot in changed.sorted() {
            let r = records[Int(slot)], i = r.instrument
            try upsert.run([
                .integer(Int64(i.token)), .integer(Int64(i.exchangeToken)), .text(i.tradingSymbol), .text(i.name),
                i.expiry.map { .integer(Int64($0.rawValue)) } ?? .null, .real(i.strike), .real(i.tickSize),
                .integer(Int64(i.lotSize)), .text(i.instrumentType), .text(i.segment), .text(i.exchange),
                .integer(r.isActive ? 1 : 0), .integer(Int64(r.listedOffset)), .integer(r.listedTime.rawValue),
                .integer(r.updatedTime.rawValue), r.delistedTime.map { .integer($0.rawValue) } ?? .null,
            ])
        }
    }

    public func publish(through offset: UInt64) {
        let previous = published.withLock { $0.current }
        let index: CatalogIndex
        if needsFullIndex {
            index = CatalogIndex(records: records, slotOfToken: slotOfToken, text: text, previous: nil, changed: [])
        } else if changed.isEmpty {
            index = previous.index // nothing moved: re-stamp the same index with the new offset
        } else {
            index = CatalogIndex(records: records, slotOfToken: slotOfToken, text: text,
                                 previous: previous.index, changed: changed)
        }
        let wasReset = needsFullIndex
        needsFullIndex = false
        changed = []
        let snapshot = CatalogSnapshot(asOfOffset: offset, index: index)
        let now = clock()
        published.withLock { state in
            // A load or rebuild starts a new history: old cursors may name offsets the new state reuses.
            if wasReset { state.history = [] }
            state.current = snapshot
            state.history.removeAll { $0.snapshot.asOfOffset == offset }
            state.history.append((snapshot, nil))
            prune(&state.history, now: now)
        }
    }

    /// Keeps the newest `retainedSnapshots`, and of the older ones those with a cursor issued within
    /// `cursorLifetime`, at most `pinnedSnapshots` of them (the most recently issued).
    private func prune(_ history: inout [(snapshot: CatalogSnapshot, lastIssued: Timestamp?)], now: Timestamp) {
        let keepNewestFrom = history.count - retainedSnapshots
        let lifetime = cursorLifetime.components.seconds * 1_000_000_000 + cursorLifetime.components.attoseconds / 1_000_000_000
        let pinned = Set(history.indices
            .filter { $0 < keepNewestFrom && history[$0].lastIssued.map { now.rawValue - $0.rawValue <= lifetime } == true }
            .sorted { history[$0].lastIssued!.rawValue > history[$1].lastIssued!.rawValue }
            .prefix(pinnedSnapshots))
        history = history.indices.filter { $0 >= keepNewestFrom || pinned.contains($0) }.map { history[$0] }
    }

    public func contentHash() -> String {
        var hash = FNV1a64()
        for record in records.sorted(by: { $0.token < $1.token }) {
            var w = ByteWriter(capacity: 128)
            // The instrument in the log's own canonical form, then the lifecycle.
            var origin = Timestamp.zero
            RecordCodec.encode(Record(time: .zero, event: .instrumentListed(record.instrument)), previousTime: &origin, into: &w)
            w.writeBool(record.isActive)
            w.writeVarint(record.listedOffset)
            w.writeSignedVarint(record.listedTime.rawValue)
            w.writeSignedVarint(record.updatedTime.rawValue)
            if let delisted = record.delistedTime { w.write(1); w.writeSignedVarint(delisted.rawValue) } else { w.write(0) }
            hash.combine(w.bytes)
        }
        return hash.hexDigest
    }

    // MARK: queries (any thread)

    /// The latest published snapshot.
    public var snapshot: CatalogSnapshot { published.withLock { $0.current } }

    /// One page of instruments matching `filter` in catalog order (trading symbol, then token).
    ///
    /// Without a cursor the page comes from the latest snapshot; with one, from the snapshot
    /// the cursor was issued at, so a walk through every page sees one consistent state and
    /// returns exactly `total` distinct instruments even while the catalog changes.
    public func page(matching filter: CatalogFilter = CatalogFilter(), after cursor: String? = nil,
                     limit: Int = InstrumentCatalog.defaultPageLimit) throws(CatalogError) -> CatalogPage {
        guard (1...Self.maxPageLimit).contains(limit) else { throw .invalidLimit(limit) }
        let snapshot: CatalogSnapshot
        var position: (symbol: String, token: UInt32)?
        if let cursor {
            let decoded = try CatalogCursor(decoding: cursor)
            guard let pinned = published.withLock({ state in
                state.history.first { $0.snapshot.asOfOffset == decoded.asOfOffset }?.snapshot
            }) else { throw .expiredCursor(asOfOffset: decoded.asOfOffset) }
            snapshot = pinned
            position = (decoded.tradingSymbol, decoded.token)
        } else {
            snapshot = self.snapshot
        }
        let (instruments, total, hasMore) = snapshot.page(matching: filter, after: position, limit: limit)
        var next: String?
        if hasMore, let last = instruments.last {
            next = CatalogCursor(asOfOffset: snapshot.asOfOffset, tradingSymbol: last.instrument.tradingSymbol,
                                 token: last.token).encoded()
            markCursorIssued(from: snapshot)
        }
        return CatalogPage(instruments: instruments, total: total, asOfOffset: snapshot.asOfOffset, nextCursor: next)
    }

    /// Keeps `snapshot` for cursors as if a page from it had just handed one out: for callers that answer a page
    /// they rendered earlier from the same snapshot, with the same `next_cursor`.
    public func markCursorIssued(from snapshot: CatalogSnapshot) {
        let now = clock()
        published.withLock { state in
            if let i = state.history.firstIndex(where: { $0.snapshot === snapshot }) {
                state.history[i].lastIssued = now
            } else {
                // Pruned while this page was being read: keep it, the cursor just handed out needs it.
                let at = state.history.firstIndex { $0.snapshot.asOfOffset > snapshot.asOfOffset } ?? state.history.endIndex
                state.history.insert((snapshot, now), at: at)
                prune(&state.history, now: now)
            }
        }
    }

    /// Active instruments ranked for typing: exact symbol, then prefix, then substring.
    public func search(_ text: String, limit: Int = 30) -> [InstrumentRecord] { snapshot.search(text, limit: limit) }

    /// Counts over active instruments as of the latest snapshot; `today` comes from the caller.
    public func stats(today: CalendarDay) -> CatalogStats { snapshot.stats(today: today) }

    /// The instrument with `token` (active or delisted), or nil if it was never listed.
    public func instrument(token: UInt32) -> InstrumentRecord? { snapshot.instrument(token: token) }
}
