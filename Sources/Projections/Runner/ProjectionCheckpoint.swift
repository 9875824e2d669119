/// The `checkpoints` table: each projection's name, version and next offset, written in the
/// same transaction as the rows it covers.
enum ProjectionCheckpoint {
    static let createTable = "CREATE TABLE IF NOT EXISTS checkpoints(name TEXT PRIMARY KEY, version INTEGER NOT NULL, offset INTEGER NOT NULL)"

    /// Records that every entry below `offset` is folded into `projection`'s rows.
    static func write(_ projection: any Projection, offset: UInt64, to db: Database) throws {
        let upsert = try db.prepare("""
            INSERT INTO checkpoints(name, version, offset) VALUES (?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET version = excluded.version, offset = excluded.offset
            """)
        try upsert.run([.text(projection.name), .integer(Int64(projection.version)), .integer(Int64(offset))])
    }
}
