import CSQLite

extension Database {
    /// Copies this database into a new file at `path` as one consistent snapshot, with SQLite's
    /// online backup API (`sqlite3_backup_init/step/finish`), while other connections keep writing.
    ///
    /// One `sqlite3_backup_step(-1)` copies every page inside a single read transaction, so the copy
    /// is the database exactly as of one commit. In WAL mode that read transaction does not block
    /// writers on other connections. A step-by-step copy would instead restart whenever another
    /// connection commits, and could chase a busy writer forever.
    public func backup(to path: String) throws(SQLiteError) {
        var raw: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let opened = sqlite3_open_v2(path, &raw, flags, nil)
        guard opened == SQLITE_OK, let destination = raw else {
            let message = raw.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(raw)
            throw SQLiteError(code: opened, message: "cannot create the backup \(path): \(message)")
        }
        defer { sqlite3_close_v2(destination) }
        sqlite3_extended_result_codes(destination, 1)
        guard let backup = sqlite3_backup_init(destination, "main", handle, "main") else {
            throw SQLiteError(code: sqlite3_extended_errcode(destination),
                              message: "cannot back up \(self.path) to \(path): \(String(cString: sqlite3_errmsg(destination)))")
        }
        let stepped = sqlite3_backup_step(backup, -1)
        // finish releases the backup whatever happened; its code repeats the step's error, if any.
        let finished = sqlite3_backup_finish(backup)
        guard stepped == SQLITE_DONE, finished == SQLITE_OK else {
            let code = stepped == SQLITE_DONE ? finished : stepped
            throw SQLiteError(code: code, message: "backing up \(self.path) to \(path) failed: \(String(cString: sqlite3_errmsg(destination)))")
        }
    }
}
