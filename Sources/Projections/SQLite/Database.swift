import CSQLite

/// One SQLite connection.
///
/// Not thread-safe by design: the connection is opened with `SQLITE_OPEN_NOMUTEX`, and its
/// owner (the thread that runs a `ProjectionRunner`, or a test) is the only thread that uses
/// it and the statements it prepared. Several connections to the same file, each on its own
/// thread, are fine: WAL lets readers run beside the single writer, and the busy timeout
/// makes writers queue instead of failing.
public final class Database {
    /// The file path, or `:memory:`.
    public let path: String
    /// The raw handle; valid until the database is deinitialized.
    let handle: OpaquePointer
    private var transactionDepth = 0

    /// Opens (creating if needed) the database at `path` in WAL mode with a busy timeout.
    public init(path: String, busyTimeout: Duration = .seconds(5)) throws(SQLiteError) {
        self.path = path
        var raw: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &raw, flags, nil)
        guard code == SQLITE_OK, let raw else {
            let message = raw.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(raw)
            throw SQLiteError(code: code, message: "cannot open \(path): \(message)")
        }
        handle = raw
        sqlite3_extended_result_codes(raw, 1)
        let milliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(raw, Int32(clamping: milliseconds))
        // WAL: readers never block the writer; NORMAL sync is durable across process crashes,
        // and a projection can always be rebuilt from the log after a power loss.
        if path != ":memory:" {
            try switchToWAL(within: busyTimeout)
        }
        try execute("PRAGMA synchronous = NORMAL")
    }

    /// Two connections switching the same new file to WAL at once: the loser's PRAGMA can answer
    /// SQLITE_BUSY without going through the busy handler, so it is tried again until the timeout.
    private func switchToWAL(within timeout: Duration) throws(SQLiteError) {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                try execute("PRAGMA journal_mode = WAL")
                return
            } catch where error.primaryCode == SQLITE_BUSY && ContinuousClock.now < deadline {
                sqlite3_sleep(1)
            }
        }
    }

    deinit {
        // close_v2 defers the close until every statement is finalized; statements keep
        // their database alive anyway, so this is belt and braces.
        sqlite3_close_v2(handle)
    }

    /// The journal mode SQLite reports (`wal` for files opened by this type).
    public func journalMode() throws(SQLiteError) -> String {
        let statement = try prepare("PRAGMA journal_mode")
        guard try statement.step() else { return "" }
        return statement.string(at: 0) ?? ""
    }

    /// Runs one or more `;`-separated statements that return no rows of interest.
    public func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if code != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// Compiles one statement.
    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// Runs `body` in a transaction: commits if it returns, rolls back if it throws.
    ///
    /// The first error wins: a failing rollback never hides the error that caused it.
    /// Nested calls run inside the outer transaction through savepoints, so an inner failure
    /// undoes only the inner work unless it propagates.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        let savepoint = "tape_sp\(transactionDepth)"
        let isOutermost = transactionDepth == 0
        // IMMEDIATE takes the write lock up front, so a busy database fails here (after the
        // busy timeout) rather than half way through the body.
        try execute(isOutermost ? "BEGIN IMMEDIATE" : "SAVEPOINT \(savepoint)")
        transactionDepth += 1
        let result: T
        do {
            result = try body()
        } catch {
            transactionDepth -= 1
            if isOutermost {
                try? execute("ROLLBACK")
            } else {
                try? execute("ROLLBACK TO \(savepoint); RELEASE \(savepoint)")
            }
            throw error
        }
        transactionDepth -= 1
        do {
            try execute(isOutermost ? "COMMIT" : "RELEASE \(savepoint)")
        } catch {
            if isOutermost { try? execute("ROLLBACK") }
            throw error
        }
        return result
    }

    /// Whether a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last successful INSERT.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Whether a table of that name exists.
    public func tableExists(_ name: String) throws(SQLiteError) -> Bool {
        let statement = try prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        try statement.bind(name, at: 1)
        return try statement.step()
    }

    func lastError(sql: String?) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}
