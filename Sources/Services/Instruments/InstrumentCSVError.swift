/// A problem with an instrument master file as a whole: nothing in it can be imported.
public enum InstrumentCSVError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file has no header line (it is empty or blank).
    case noHeader
    /// The header line's quoting is broken, so its column names cannot be trusted.
    case malformedHeader(line: Int)
    /// Two header columns have the same name, so a value could be taken from either.
    case duplicateColumn(name: String, line: Int)
    /// Columns every row needs are not in the header.
    case missingColumns([String], line: Int)
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case .noHeader:
            "the instrument file is empty: expected a header line naming the columns (instrument_token, exchange_token, …)"
        case .malformedHeader(let line):
            "line \(line): the header line has an unterminated or misplaced quote"
        case .duplicateColumn(let name, let line):
            "line \(line): the header names column \"\(name)\" twice; keep one"
        case .missingColumns(let names, let line):
            "line \(line): the header lacks required column\(names.count == 1 ? "" : "s") "
                + names.joined(separator: ", ")
                + "; a Kite instrument master has " + KiteInstrumentCSV.columns.joined(separator: ",")
        case .unreadable(let path, let reason):
            "cannot read instrument file \(path): \(reason)"
        case .unwritable(let path, let reason):
            "cannot write instrument file \(path): \(reason)"
        }
    }
}
