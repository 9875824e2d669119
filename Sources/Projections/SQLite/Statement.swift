import CSQLite

/// A prepared statement. Owns its `sqlite3_stmt` and finalizes it in `deinit`.
///
/// Used only by the thread that owns its `Database` (see there). Parameter indexes start at 1
/// and column indexes at 0, as in the C API.
public final class Statement {
    /// The SQL as written.
    public let sql: String
    /// Keeps the connection open for as long as the statement lives.
    public let database: Database
    private let handle: OpaquePointer

    init(database: Database, sql: String) throws(SQLiteError) {
        self.database = database
        self.sql = sql
        var raw: OpaquePointer?
        let code = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard code == SQLITE_OK, let raw else {
            throw code == SQLITE_OK
                ? SQLiteError(code: SQLITE_MISUSE, message: "no statement in the SQL text", sql: sql)
                : database.lastError(sql: sql)
        }
        handle = raw
    }

    deinit { sqlite3_finalize(handle) }

    // MARK: binding

    /// Binds a value to the parameter at `index` (1-based).
    public func bind(_ value: SQLiteValue, at index: Int) throws(SQLiteError) {
        let i = Int32(index)
        let code: Int32
        switch value {
        case .integer(let v): code = sqlite3_bind_int64(handle, i, v)
        case .real(let v): code = sqlite3_bind_double(handle, i, v)
        case .text(let v): code = sqlite3_bind_text(handle, i, v, -1, tape_sqlite_transient())
        case .blob(let v):
            code = v.withUnsafeBytes { bytes in
                // A zero-length blob must still bind as a blob, not NULL: give SQLite a valid pointer.
                sqlite3_bind_blob(handle, i, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), tape_sqlite_transient())
            }
        case .null: code = sqlite3_bind_null(handle, i)
        }
        guard code == SQLITE_OK else { throw database.lastError(sql: sql) }
    }

    /// Binds a value to a named parameter (`:name`, `@name` or `$name`, prefix included).
    public func bind(_ value: SQLiteValue, named name: String) throws(SQLiteError) {
        let index = sqlite3_bind_parameter_index(handle, name)
        guard index > 0 else {
            throw SQLiteError(code: SQLITE_RANGE, message: "no parameter named \(name)", sql: sql)
        }
        try bind(value, at: Int(index))
    }

    /// Binds an integer at `index` (1-based).
    public func bind(_ value: Int64, at index: Int) throws(SQLiteError) { try bind(.integer(value), at: index) }
    /// Binds a double at `index` (1-based).
    public func bind(_ value: Double, at index: Int) throws(SQLiteError) { try bind(.real(value), at: index) }
    /// Binds UTF-8 text at `index` (1-based).
    public func bind(_ value: String, at index: Int) throws(SQLiteError) { try bind(.text(value), at: index) }
    /// Binds a blob at `index` (1-based).
    public func bind(_ value: [UInt8], at index: Int) throws(SQLiteError) { try bind(.blob(value), at: index) }
    /// Binds NULL at `index` (1-based).
    public func bindNull(at index: Int) throws(SQLiteError) { try bind(.null, at: index) }

    /// Binds `values` to parameters 1, 2, ... in order.
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() { try bind(value, at: offset + 1) }
    }

    /// Sets every parameter back to NULL.
    public func clearBindings() { sqlite3_clear_bindings(handle) }

    // MARK: running

    /// Advances to the next row: true if a row is ready to read, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = database.lastError(sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Rewinds the statement so it can run again; bindings are kept.
    public func reset() { sqlite3_reset(handle) }

    /// Resets, binds `values`, and steps to completion (for INSERT, UPDATE, DELETE).
    public func run(_ values: [SQLiteValue] = []) throws(SQLiteError) {
        reset()
        try bind(values)
        while try step() {}
        reset()
    }

    // MARK: columns

    /// Columns in each result row.
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// The name of the column at `index` (0-based).
    public func columnName(at index: Int) -> String { String(cString: sqlite3_column_name(handle, Int32(index))) }

    /// Whether the column at `index` of the current row is NULL.
    public func isNull(at index: Int) -> Bool { sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL }

    /// The column as an integer (0 for NULL).
    public func int64(at index: Int) -> Int64 { sqlite3_column_int64(handle, Int32(index)) }

    /// The column as a double (0 for NULL).
    public func double(at index: Int) -> Double { sqlite3_column_double(handle, Int32(index)) }

    /// The column as text, or nil when it is NULL.
    public func string(at index: Int) -> String? {
        guard let text = sqlite3_column_text(handle, Int32(index)) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column as bytes, or nil when it is NULL.
    public func blob(at index: Int) -> [UInt8]? {
        let i = Int32(index)
        if sqlite3_column_type(handle, i) == SQLITE_NULL { return nil }
        guard let bytes = sqlite3_column_blob(handle, i) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, i))))
    }

    /// The column as whichever storage class it holds.
    public func value(at index: Int) -> SQLiteValue {
        switch sqlite3_column_type(handle, Int32(index)) {
        case SQLITE_INTEGER: .integer(int64(at: index))
        case SQLITE_FLOAT: .real(double(at: index))
        case SQLITE_TEXT: .text(string(at: index) ?? "")
        case SQLITE_BLOB: .blob(blob(at: index) ?? [])
        default: .null
        }
    }
}
