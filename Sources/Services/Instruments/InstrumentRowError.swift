import EventLog

/// Why one row of an instrument master was rejected; the other rows still count.
public struct InstrumentRowError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong with the row; columns are named as in the file's header.
    public enum Reason: Hashable, Sendable {
        /// The row has a different number of fields than the header.
        case wrongFieldCount(expected: Int, found: Int)
        /// A quoted field is not closed, or text follows its closing quote (RFC 4180 §2, rules 5–7).
        case malformedQuotes
        /// A column that every instrument needs is empty.
        case missingValue(column: String)
        /// Not a whole number in 0…4,294,967,295 (tokens, lot size).
        case badInteger(column: String, value: String)
        /// Not a finite decimal number (strike, tick size).
        case badNumber(column: String, value: String)
        /// Not an ISO `YYYY-MM-DD` calendar date.
        case badDate(column: String, value: String)
        /// A quantity that cannot be negative is.
        case negativeValue(column: String, value: String)
        /// A strike or tick size is not below `Instrument.amountLimit`.
        case tooLarge(column: String, value: String)
        /// The bytes are not UTF-8.
        case invalidUTF8(column: String)
        /// An earlier row of the same file already has this token; the earlier row wins.
        case duplicateToken(UInt32, firstLine: Int)
    }

    /// The 1-based line of the file where the row starts.
    public var line: Int
    /// The row's `instrument_token`, when it could be read: an import must not delist it.
    public var token: UInt32?
    public var reason: Reason

    public init(line: Int, token: UInt32? = nil, reason: Reason) {
        self.line = line
        self.token = token
        self.reason = reason
    }

    public var description: String {
        let problem = switch reason {
        case .wrongFieldCount(let expected, let found):
            "has \(found) field\(found == 1 ? "" : "s"), the header has \(expected)"
        case .malformedQuotes:
            "has an unterminated quoted field or text after a closing quote"
        case .missingValue(let column):
            "has no \(column)"
        case .badInteger(let column, let value):
            "\(column) \"\(value)\" is not a whole number between 0 and 4294967295"
        case .badNumber(let column, let value):
            "\(column) \"\(value)\" is not a decimal number"
        case .badDate(let column, let value):
            "\(column) \"\(value)\" is not a YYYY-MM-DD date"
        case .negativeValue(let column, let value):
            "\(column) \(value) is negative"
        case .tooLarge(let column, let value):
            "\(column) \(value) is too large: it must be below \(Int(Instrument.amountLimit))"
        case .invalidUTF8(let column):
            "\(column) is not valid UTF-8"
        case .duplicateToken(let token, let firstLine):
            "repeats instrument_token \(token) of line \(firstLine); the first row is kept"
        }
        return "line \(line): \(problem)"
    }
}
