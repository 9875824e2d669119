import CSQLite

/// A failed sqlite3 call: the result code, SQLite's message, and the SQL it was running.
public struct SQLiteError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The primary or extended result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_PRIMARYKEY`, ...).
    public var code: Int32
    public var message: String
    /// The statement being prepared or run, when there was one.
    public var sql: String?

    /// An error with SQLite's code and message, and the SQL when there was one.
    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code, without the extended bits.
    public var primaryCode: Int32 { code & 0xFF }

    /// SQLITE_FULL or SQLITE_IOERR (any extended code): the disk refused, not the data — nothing was
    /// committed, and the same work can succeed once space returns.
    public var isDiskProblem: Bool { primaryCode == SQLITE_FULL || primaryCode == SQLITE_IOERR }

    public var description: String {
        let name = String(cString: sqlite3_errstr(code))
        if let sql { return "SQLite error \(code) (\(name)): \(message) — while running: \(sql)" }
        return "SQLite error \(code) (\(name)): \(message)"
    }
}
