/// What differs between a projection's live tables and a build of it made aside, both at the
/// same offset: rows per table and a few sample rows found on one side only.
public struct ProjectionDiff: Sendable, Equatable {
    /// One table compared.
    public struct Table: Sendable, Equatable {
        public var name: String
        public var liveRows: Int
        public var rebuiltRows: Int
        /// Rows of the live table that the rebuilt one lacks (exact count, with samples).
        public var onlyInLive: Int
        public var onlyInRebuilt: Int
        public var samplesOnlyInLive: [String]
        public var samplesOnlyInRebuilt: [String]

        public var isIdentical: Bool { onlyInLive == 0 && onlyInRebuilt == 0 }
    }

    /// The offset both sides were built through (the next offset to apply).
    public var offset: UInt64
    public var tables: [Table]
    public var liveHash: String
    public var rebuiltHash: String

    /// Same rows in every table and the same content hash.
    public var isIdentical: Bool { liveHash == rebuiltHash && tables.allSatisfy(\.isIdentical) }

    /// Compares `tables` of the database at `livePath` with those of the one at `rebuiltPath`
    /// on a connection of its own (the runners' connections are not touched).
    public static func compare(tables names: [String], livePath: String, rebuiltPath: String, offset: UInt64,
                               liveHash: String, rebuiltHash: String, sampleLimit: Int = 5) throws -> ProjectionDiff {
        let db = try Database(path: livePath)
        try db.execute("ATTACH DATABASE '\(rebuiltPath.replacingOccurrences(of: "'", with: "''"))' AS rebuilt")
        defer { try? db.execute("DETACH DATABASE rebuilt") }
        var tables: [Table] = []
        for name in names {
            let live = "main.\"\(name)\"", rebuilt = "rebuilt.\"\(name)\""
            tables.append(Table(
                name: name,
                liveRows: try count("SELECT count(*) FROM \(live)", db),
                rebuiltRows: try count("SELECT count(*) FROM \(rebuilt)", db),
                onlyInLive: try count("SELECT count(*) FROM (SELECT * FROM \(live) EXCEPT SELECT * FROM \(rebuilt))", db),
                onlyInRebuilt: try count("SELECT count(*) FROM (SELECT * FROM \(rebuilt) EXCEPT SELECT * FROM \(live))", db),
                samplesOnlyInLive: try rows("SELECT * FROM \(live) EXCEPT SELECT * FROM \(rebuilt) LIMIT \(sampleLimit)", db),
                samplesOnlyInRebuilt: try rows("SELECT * FROM \(rebuilt) EXCEPT SELECT * FROM \(live) LIMIT \(sampleLimit)", db)))
        }
        return ProjectionDiff(offset: offset, tables: tables, liveHash: liveHash, rebuiltHash: rebuiltHash)
    }

    private static func count(_ sql: String, _ db: Database) throws -> Int {
        let statement = try db.prepare(sql)
        return try statement.step() ? Int(statement.int64(at: 0)) : 0
    }

    /// Each row as `column=value` pairs, blobs in hex.
    private static func rows(_ sql: String, _ db: Database) throws -> [String] {
        let statement = try db.prepare(sql)
        var rows: [String] = []
        while try statement.step() {
            rows.append((0..<statement.columnCount).map { column in
                let value: String = switch statement.value(at: column) {
                case .integer(let v): String(v)
                case .real(let v): String(v)
                case .text(let v): "\"\(v)\""
                case .blob(let v): "x'" + v.map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined() + "'"
                case .null: "null"
                }
                return statement.columnName(at: column) + "=" + value
            }.joined(separator: " "))
        }
        return rows
    }
}
