/// Why a catalog query was refused; each case says what the caller should change.
public enum CatalogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The cursor is not one this catalog issued (bad base64url or layout).
    case invalidCursor(String)
    /// The snapshot the cursor pinned is no longer kept; start again without a cursor.
    case expiredCursor(asOfOffset: UInt64)
    /// `limit` must be in 1...`InstrumentCatalog.maxPageLimit`.
    case invalidLimit(Int)

    /// The HTTP status a gateway should answer with.
    public var httpStatus: Int {
        switch self {
        case .invalidCursor, .invalidLimit: 400
        case .expiredCursor: 410
        }
    }

    public var description: String {
        switch self {
        case .invalidCursor(let cursor):
            "cursor \"\(cursor)\" is not valid: pass the next_cursor of a previous page unchanged"
        case .expiredCursor(let offset):
            "cursor expired: the snapshot at offset \(offset) is no longer kept; restart paging without a cursor"
        case .invalidLimit(let limit):
            "limit \(limit) is out of range: use 1...\(InstrumentCatalog.maxPageLimit)"
        }
    }
}
