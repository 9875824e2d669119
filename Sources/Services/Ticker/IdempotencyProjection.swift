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
        let (seconds, attoseconds) = retention.components
        self.retention = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Keys older than this are expired; nil while no marker was folded.
    private var cutoff: Int64? { newest.map { $0 &- retention } }

    public func migrate(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS idempotency_keys(
                key TEXT PRIMARY KEY,
                marker_offset INTEGER NOT NULL,
                time INTEGER NOT NULL,
                tick_count INTEGER NOT NULL,
                body_hash INTEGER NOT NULL,
                rejected BLOB NOT NULL
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
        let select = try db.prepare("SELECT key, marker_offset, time, tick_count, body_hash, rejected FROM idempotency_keys")
        while try select.step() {
            let key = select.string(at: 0) ?? ""
            let marker = TicksIngested(key: key, tickCount: UInt32(truncatingIfNeeded: select.int64(at: 3)),
                                       bodyHash: UInt64(bitPattern: select.int64(at: 4)),
                                       rejected: try Self.decodeRejections(select.blob(at: 5) ?? []))
            keys[key] = IdempotencyIndex.Entry(markerOffset: UInt64(bitPattern: select.int64(at: 1)),
                                               time: Timestamp(rawValue: select.int64(at: 2)), marker: marker)
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
            INSERT OR REPLACE INTO idempotency_keys(key, marker_offset, time, tick_count, body_hash, rejected)
            VALUES (?, ?, ?, ?, ?, ?)
            """)
        // The latest marker of each key, expired or not: an expired one replaces an older row, which the delete then removes.
        for entry in fresh where keys[entry.marker.key]?.markerOffset == entry.markerOffset {
            try upsert.run([.text(entry.marker.key), .integer(Int64(bitPattern: entry.markerOffset)), .integer(entry.time.rawValue),
                            .integer(Int64(entry.marker.tickCount)), .integer(Int64(bitPattern: entry.marker.bodyHash)),
                            .blob(Self.encodeRejections(entry.marker.rejected))])
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
                writer.writeString(key)
                writer.writeVarint(entry.markerOffset)
                writer.writeSignedVarint(entry.time.rawValue)
                writer.writeVarint(UInt64(entry.marker.tickCount))
                writer.writeVarint(entry.marker.bodyHash)
                writer.writeBytes(Self.encodeRejections(entry.marker.rejected))
            }
        }
        var hash = FNV1a64()
        hash.combine(writer.bytes)
        return hash.hexDigest
    }

    static func encodeRejections(_ rejected: [TicksIngested.Rejection]) -> [UInt8] {
        var writer = ByteWriter(capacity: 8 + rejected.count * 24)
        writer.writeVarint(UInt64(rejected.count))
        for rejection in rejected {
            writer.writeVarint(UInt64(rejection.index))
            writer.writeString(rejection.message)
        }
        return writer.bytes
    }

    static func decodeRejections(_ bytes: [UInt8]) throws -> [TicksIngested.Rejection] {
        try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            let count = try reader.readVarint()
            var rejected: [TicksIngested.Rejection] = []
            for _ in 0..<count {
                rejected.append(TicksIngested.Rejection(index: UInt32(truncatingIfNeeded: try reader.readVarint()),
                                                        message: try reader.readString()))
            }
            return rejected
        }
    }
}
