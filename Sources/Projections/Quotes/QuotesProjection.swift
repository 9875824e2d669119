import EventLog
import Synchronization

/// The quotes projection: per instrument the last tick and the day's OHLC, volume and change
/// (the `QuoteBook` fold), kept in the `quotes` table and served from memory.
///
/// Threads: the fold state belongs to the thread running its `ProjectionRunner`. Readers on
/// any thread see the book as of the last `publish(through:)`, under `published`; a publish
/// copies only the quotes its batch changed, so its cost follows the batch, not the book.
public final class QuotesProjection: TickFolding, @unchecked Sendable {
    public let name = "quotes"
    public let version = 1
    public let tables = ["quotes"]

    // Fold state, runner thread only.
    private var book = QuoteBook()
    /// Tokens whose quote changed since the last publish: persisted, then published.
    private var changed: Set<UInt32> = []
    /// After `load` the whole book is published, not just the changes.
    private var needsFullPublish = true

    // Published state, any thread.
    private struct Published {
        var book: QuoteBook
        var asOfOffset: UInt64
    }
    private let published = Mutex(Published(book: QuoteBook(), asOfOffset: 0))

    /// An empty projection; the runner loads or rebuilds it.
    public init() {}

    // MARK: Projection

    public func migrate(_ db: Database) throws {
        // UInt64 quantities and offsets are stored as their Int64 bit patterns; times in ns since
        // the epoch; days as days since 1970-01-01; prices in minor units of `decimals`.
        try db.execute("""
            CREATE TABLE IF NOT EXISTS quotes(
                token INTEGER PRIMARY KEY,
                decimals INTEGER NOT NULL,
                last_price INTEGER NOT NULL,
                last_quantity INTEGER NOT NULL,
                last_time INTEGER NOT NULL,
                last_offset INTEGER NOT NULL,
                open_interest INTEGER,
                bid INTEGER,
                ask INTEGER,
                day INTEGER NOT NULL,
                open INTEGER NOT NULL,
                high INTEGER NOT NULL,
                low INTEGER NOT NULL,
                day_volume INTEGER NOT NULL,
                open_time INTEGER NOT NULL,
                previous_day INTEGER,
                previous_close INTEGER,
                previous_close_time INTEGER
            )
            """)
    }

    public func load(from db: Database) throws {
        var quotes: [UInt32: Quote] = [:]
        let select = try db.prepare("""
            SELECT token, decimals, last_price, last_quantity, last_time, last_offset, open_interest, bid, ask,
                   day, open, high, low, day_volume, open_time, previous_day, previous_close, previous_close_time
            FROM quotes
            """)
        while try select.step() {
            func optional(_ column: Int) -> Int64? { select.isNull(at: column) ? nil : select.int64(at: column) }
            let quote = Quote(
                token: UInt32(truncatingIfNeeded: select.int64(at: 0)),
                decimals: UInt8(truncatingIfNeeded: select.int64(at: 1)),
                lastPrice: select.int64(at: 2), lastQuantity: UInt64(bitPattern: select.int64(at: 3)),
                lastTime: Timestamp(rawValue: select.int64(at: 4)), lastOffset: UInt64(bitPattern: select.int64(at: 5)),
                openInterest: optional(6).map { UInt64(bitPattern: $0) }, bid: optional(7), ask: optional(8),
                day: CalendarDay(rawValue: Int32(truncatingIfNeeded: select.int64(at: 9))),
                open: select.int64(at: 10), high: select.int64(at: 11), low: select.int64(at: 12),
                dayVolume: UInt64(bitPattern: select.int64(at: 13)), openTime: Timestamp(rawValue: select.int64(at: 14)),
                previousDay: optional(15).map { CalendarDay(rawValue: Int32(truncatingIfNeeded: $0)) },
                previousClose: optional(16), previousCloseTime: optional(17).map { Timestamp(rawValue: $0) })
            quotes[quote.token] = quote
        }
        book = QuoteBook(quotes: quotes)
        changed = []
        needsFullPublish = true
    }

    public var consumedTypes: EventTypeMask? { EventTypeMask([.tick]) }

    public func apply(_ entry: LogEntry) throws {
        guard case .tick(let tick) = entry.event else { return }
        apply(tick, time: entry.time, offset: entry.offset)
    }

    public func apply(_ tick: Tick, time: Timestamp, offset: UInt64) {
        book.apply(tick, time: time, offset: offset)
        changed.insert(tick.token)
    }

    public func persist(to db: Database) throws {
        guard !changed.isEmpty else { return }
        let upsert = try db.prepare("""
            INSERT OR REPLACE INTO quotes(
                token, decimals, last_price, last_quantity, last_time, last_offset, open_interest, bid, ask,
                day, open, high, low, day_volume, open_time, previous_day, previous_close, previous_close_time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        func optional(_ value: Int64?) -> SQLiteValue { value.map { .integer($0) } ?? .null }
        for token in changed.sorted() {
            guard let q = book[token] else { continue }
            try upsert.run([
                .integer(Int64(q.token)), .integer(Int64(q.decimals)), .integer(q.lastPrice),
                .integer(Int64(bitPattern: q.lastQuantity)), .integer(q.lastTime.rawValue),
                .integer(Int64(bitPattern: q.lastOffset)), optional(q.openInterest.map { Int64(bitPattern: $0) }),
                optional(q.bid), optional(q.ask), .integer(Int64(q.day.rawValue)),
                .integer(q.open), .integer(q.high), .integer(q.low), .integer(Int64(bitPattern: q.dayVolume)),
                .integer(q.openTime.rawValue), optional(q.previousDay.map { Int64($0.rawValue) }),
                optional(q.previousClose), optional(q.previousCloseTime?.rawValue),
            ])
        }
    }

    public func publish(through offset: UInt64) {
        let isFull = needsFullPublish
        published.withLock { state in
            if isFull {
                // Shared until the next apply copies the fold's book once; after that both are unique.
                state.book = book
            } else {
                state.book.copy(changed, from: book)
            }
            state.asOfOffset = offset
        }
        needsFullPublish = false
        changed.removeAll(keepingCapacity: true)
    }

    public func contentHash() -> String {
        var hash = FNV1a64()
        var w = ByteWriter(capacity: 128)
        for token in book.quotes.keys.sorted() {
            let q = book.quotes[token]!
            w.bytes.removeAll(keepingCapacity: true)
            w.writeVarint(UInt64(q.token))
            w.write(q.decimals)
            w.writeSignedVarint(q.lastPrice)
            w.writeVarint(q.lastQuantity)
            w.writeSignedVarint(q.lastTime.rawValue)
            w.writeVarint(q.lastOffset)
            Self.write(q.openInterest.map { Int64(bitPattern: $0) }, to: &w)
            Self.write(q.bid, to: &w)
            Self.write(q.ask, to: &w)
            w.writeSignedVarint(Int64(q.day.rawValue))
            w.writeSignedVarint(q.open)
            w.writeSignedVarint(q.high)
            w.writeSignedVarint(q.low)
            w.writeVarint(q.dayVolume)
            w.writeSignedVarint(q.openTime.rawValue)
            Self.write(q.previousDay.map { Int64($0.rawValue) }, to: &w)
            Self.write(q.previousClose, to: &w)
            Self.write(q.previousCloseTime?.rawValue, to: &w)
            hash.combine(w.bytes)
        }
        return hash.hexDigest
    }

    private static func write(_ value: Int64?, to w: inout ByteWriter) {
        if let value { w.write(1); w.writeSignedVarint(value) } else { w.write(0) }
    }

    // MARK: queries (any thread)

    /// The next log offset the published quotes have not applied.
    public var asOfOffset: UInt64 { published.withLock { $0.asOfOffset } }

    /// The published quotes of `tokens`, in the order asked; tokens that never ticked are left out.
    public func quotes(for tokens: [UInt32]) -> [Quote] {
        published.withLock { state in tokens.compactMap { state.book[$0] } }
    }

    /// The published quote of `token`, or nil if it never ticked.
    public func quote(for token: UInt32) -> Quote? { published.withLock { $0.book[token] } }

    /// The whole published book and the offset it stands at: a tailer (the streaming hub) can
    /// start from it and fold the log from `asOfOffset` on with `QuoteBook.apply`. Cheap to
    /// take (copy-on-write); while the caller keeps it, the next publish copies the book once.
    public func publishedBook() -> (book: QuoteBook, asOfOffset: UInt64) {
        published.withLock { ($0.book, $0.asOfOffset) }
    }
}
