/// Why a tick file cannot be imported at all (bad lines are reported one by one instead).
public enum TickFileError: Error, Hashable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    /// A CSV file without a header line.
    case noHeader(path: String)
    /// The CSV header lacks required columns.
    case missingColumns([String], path: String)
    /// The CSV header names a column twice, or one that is not a tick field.
    case badColumn(String, reason: String, path: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            "\(path): cannot read: \(reason)"
        case .noHeader(let path):
            "\(path): no header line: the first line must name the columns, e.g. token,price,volume,time"
        case .missingColumns(let columns, let path):
            "\(path): the header lacks \(columns.joined(separator: ", ")); required: \(TickFileReader.requiredColumns.joined(separator: ", "))"
        case .badColumn(let column, let reason, let path):
            "\(path): header column \"\(column)\" \(reason); columns: \(TickFields.names.joined(separator: ", "))"
        }
    }
}
