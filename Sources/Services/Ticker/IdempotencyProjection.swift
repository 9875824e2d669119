import EventLog
import Projections

/// The `idempotency` projection: the latest `TicksIngested` marker of every `Idempotency-Key`
/// whose time is within `retention` of the newest marker's, so that a start loads the keys of
/// the last day from SQLite and reads only the log past the checkpoint, not the whole day.
///
/// The state is a pure fold: "within retention" is measured against the newest marker time the
/// log holds, never a clock. Memory and rows forget expired keys at different moments (rows at
/// every commit, memory about once an hour of marker time), so the hash and `keys(at:)` read
/// the state through the same exact cutoff.
///
/// Threads: the runner's thread only; the server reads it through `ProjectionRunner.withProjection`.
public final class IdempotencyProjection: Projection, @unchecked Sendable {
    public let name = "idempotency"
    public let version = 1
    public let tables = ["idempotency_keys", "idempotency_horizon"]
    public var consumedTypes: EventTypeMask? { EventTypeMask([.ticksIngested]) }

    private let retention: Int64
    private var keys: [String: IdempotencyIndex.Entry] = [:]
    /// The newest marker time folded (nil before the first marker): keys older than
    /// `newest - retention` are expired.
    private var newest: Int64?
    /// Markers folded since the last persist, in log order.
    private var fresh: [IdempotencyIndex.Entry] = []
    /// The cutoff at which memory was last pruned, if it was.
    private var prunedAt: Int64?
    /// The next offset to fold, as of the last publish.
    private var next: UInt64 = 0

    public init(retention: Duration = IdempotencyIndex.defaultRetention) {
        self.retention = retention.nanoseconds
    }

    /// Keys older than this are expired; nil while no marker was folded.
    private var cutoff: Int64? { newest.map { $0 &- retention } }

    public func migrate(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS idempotency_keys(
                key TEXT PRIMARY KEY,
                marker_offset INTEGER NOT NULL,
                time INTEGER NOT NULL,
                record BLOB NOT NULL
            )
            """)
        try db.execute("CREATE INDEX IF NOT EXISTS idempotency_keys_time ON idempotency_keys(time)")
        try db.execute("CREATE TABLE IF NOT EXISTS idempotency_horizon(id INTEGER PRIMARY KEY CHECK (id = 1), newest INTEGER NOT NULL)")
    }

    public func load(from db: Database) throws {
        keys = [:]
        fresh = []
        newest = nil
        let horizon = try db.prepare("SELECT newest FROM idempotency_horizon WHERE id = 1")
        if try horizon.step() { newest = horizon.int64(at: 0) }
        let select = try db.prepare("SELECT marker_offset, record FROM idempotency_keys")
        while try select.step() {
            let entry = try Self.decode(select.blob(at: 1) ?? [], markerOffset: UInt64(bitPattern: select.int64(at: 0)))
            keys[entry.marker.key] = entry
        }
        prunedAt = cutoff
    }

    public func apply(_ entry: LogEntry) throws {
        guard case .ticksIngested(let marker) = entry.event else { return }
        let folded = IdempotencyIndex.Entry(markerOffset: entry.offset, time: entry.time, marker: marker)
        keys[marker.key] = folded
        fresh.append(folded)
        newest = max(newest ?? .min, entry.time.rawValue)
    }

    public func persist(to db: Database) throws {
        guard !fresh.isEmpty, let newest, let cutoff else { return }
        let upsert = try db.prepare("""
            INSERT OR REPLACE INTO idempotency_keys(key, marker_offset, time, record) VALUES (?, ?, ?, ?)
            """)
        // The latest marker of each key, expired or not: an expired one replaces an older row, which the delete then removes.
        for entry in fresh where keys[entry.marker.key]?.markerOffset == entry.markerOffset {
            try upsert.run([.text(entry.marker.key), .integer(Int64(bitPattern: entry.markerOffset)), .integer(entry.time.rawValue),
                            .blob(Self.encode(entry))])
        }
        try db.prepare("DELETE FROM idempotency_keys WHERE time < ?").run([.integer(cutoff)])
        try db.prepare("INSERT OR REPLACE INTO idempotency_horizon(id, newest) VALUES (1, ?)").run([.integer(newest)])
    }

    public func publish(through offset: UInt64) {
        fresh = []
        next = offset
        // Memory forgets expired keys once the cutoff has moved an hour (of marker time) since the last time.
        guard let cutoff else { return }
        if let prunedAt, cutoff &- prunedAt < 3_600_000_000_000 { return }
        keys = keys.filter { $0.value.time.rawValue >= cutoff }
        prunedAt = cutoff
    }

    /// The keys not expired at `now` (nor by the log's newest marker), and the next offset not
    /// folded: a scan of the log from there completes them.
    public func keys(at now: Timestamp) -> (entries: [IdempotencyIndex.Entry], next: UInt64) {
        let since = max(cutoff ?? .min, now.rawValue &- retention)
        return (keys.values.filter { $0.time.rawValue >= since }.sorted { $0.markerOffset < $1.markerOffset }, next)
    }

    /// Keys held in memory, expired ones not yet forgotten included.
    var keysInMemory: Int { keys.count }

    public func contentHash() -> String {
        var writer = ByteWriter(capacity: 256)
        if let newest, let cutoff {
            writer.writeSignedVarint(newest)
            for key in keys.keys.sorted() {
                let entry = keys[key]!
                guard entry.time.rawValue >= cutoff else { continue }
                writer.writeVarint(entry.markerOffset)
                writer.writeBytes(Self.encode(entry))
            }
        }
        var hash = FNV1a64()
        hash.combine(writer.bytes)
        return hash.hexDigest
    }

    /// A key's marker as a row holds it: the record exactly as the log encodes it (time and event).
    static func encode(_ entry: IdempotencyIndex.Entry) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + entry.marker.key.utf8.count)
        var previous = Timestamp.zero
        RecordCodec.encode(Record(time: entry.time, event: .ticksIngested(entry.marker)), previousTime: &previous, into: &writer)
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8], markerOffset: UInt64) throws -> IdempotencyIndex.Entry {
        let record = try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            var previous = Timestamp.zero
            return try RecordCodec.decode(from: &reader, previousTime: &previous)
        }
        guard case .ticksIngested(let marker) = record.event else { throw NotAMarker(type: record.event.type) }
        return IdempotencyIndex.Entry(markerOffset: markerOffset, time: record.time, marker: marker)
    }

    struct NotAMarker: Error, CustomStringConvertible {
        var type: EventType
        var description: String { "an idempotency_keys row holds a \(type) record, not a ticks_ingested marker" }
    }
}
