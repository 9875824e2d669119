import EventLog
import Foundation

/// Reads and writes the Kite Connect instrument master CSV in the forms found in the wild.
///
/// Columns are found by header name, so reordered and extra columns (a pandas index,
/// `last_price`) are fine. Accepted: RFC 4180 quoting, the raw API form (quoted `name`,
/// integer `0`), the pandas re-saved form (`0.0`, unquoted names), LF or CRLF line ends, a
/// UTF-8 byte order mark, blank lines, an empty `expiry`, and the older `NSE-INDICES`
/// segment name (read as `INDICES`). Stateless: callable from any thread.
public enum KiteInstrumentCSV {
    /// The columns in the order the Kite API writes them.
    public static let columns = [
        "instrument_token", "exchange_token", "tradingsymbol", "name", "last_price", "expiry",
        "strike", "tick_size", "lot_size", "instrument_type", "segment", "exchange",
    ]

    /// The columns a file must have: all but `last_price`, which a catalog does not keep.
    public static let requiredColumns = columns.filter { $0 != "last_price" }

    /// A parsed row and the 1-based line it starts on.
    public struct Row: Hashable, Sendable {
        public var line: Int
        public var instrument: Instrument

        public init(line: Int, instrument: Instrument) {
            self.line = line
            self.instrument = instrument
        }
    }

    /// The good rows of a file and, separately, why each bad row was rejected.
    public struct ParseResult: Hashable, Sendable {
        /// Rows in file order.
        public var rows: [Row]
        /// Rejected rows in file order.
        public var errors: [InstrumentRowError]

        public init(rows: [Row], errors: [InstrumentRowError]) {
            self.rows = rows
            self.errors = errors
        }

        /// The instruments of the good rows, in file order.
        public var instruments: [Instrument] { rows.map(\.instrument) }
    }

    /// Parses a whole file's bytes; throws only when the file as a whole is unusable.
    public static func parse(_ bytes: [UInt8]) throws(InstrumentCSVError) -> ParseResult {
        let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let start = bytes.starts(with: byteOrderMark) ? byteOrderMark.count : 0
        var scanner = CSVRecordScanner(bytes, from: start)
        let layout = try readHeader(&scanner)
        var rows: [Row] = []
        var errors: [InstrumentRowError] = []
        while true {
            switch scanner.next() {
            case .end:
                return ParseResult(rows: rows, errors: errors)
            case .malformedQuotes:
                errors.append(InstrumentRowError(line: scanner.line, reason: .malformedQuotes))
            case .record:
                if scanner.isBlank { continue }
                switch layout.instrument(in: scanner) {
                case .success(let instrument):
                    rows.append(Row(line: scanner.line, instrument: instrument))
                case .failure(let error):
                    errors.append(error)
                }
            }
        }
    }

    /// Parses text held in memory.
    public static func parse(_ text: String) throws(InstrumentCSVError) -> ParseResult {
        try parse(Array(text.utf8))
    }

    /// Reads and parses the file at `path`.
    public static func parse(contentsOfFile path: String) throws(InstrumentCSVError) -> ParseResult {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        return try parse([UInt8](data))
    }

    private static func readHeader(_ scanner: inout CSVRecordScanner) throws(InstrumentCSVError) -> ColumnLayout {
        while true {
            switch scanner.next() {
            case .end:
                throw .noHeader
            case .malformedQuotes:
                throw .malformedHeader(line: scanner.line)
            case .record:
                if scanner.isBlank { continue }
                var positions: [String: Int] = [:]
                for index in 0..<scanner.fieldCount {
                    let name = String(decoding: scanner.field(index), as: UTF8.self).lowercased()
                    if name.isEmpty { continue }  // e.g. the index column pandas writes
                    if positions.updateValue(index, forKey: name) != nil {
                        throw .duplicateColumn(name: name, line: scanner.line)
                    }
                }
                let missing = requiredColumns.filter { positions[$0] == nil }
                guard missing.isEmpty else { throw .missingColumns(missing, line: scanner.line) }
                return ColumnLayout(positions: positions, fieldCount: scanner.fieldCount)
            }
        }
    }
}

/// Where each required column sits in a file, and how a record becomes an `Instrument`.
private struct ColumnLayout {
    let token, exchangeToken, tradingSymbol, name, expiry, strike, tickSize, lotSize: Int
    let instrumentType, segment, exchange: Int
    let fieldCount: Int

    init(positions: [String: Int], fieldCount: Int) {
        token = positions["instrument_token"]!
        exchangeToken = positions["exchange_token"]!
        tradingSymbol = positions["tradingsymbol"]!
        name = positions["name"]!
        expiry = positions["expiry"]!
        strike = positions["strike"]!
        tickSize = positions["tick_size"]!
        lotSize = positions["lot_size"]!
        instrumentType = positions["instrument_type"]!
        segment = positions["segment"]!
        exchange = positions["exchange"]!
        self.fieldCount = fieldCount
    }

    /// The first problem in column order rejects the row.
    func instrument(in record: CSVRecordScanner) -> Result<Instrument, InstrumentRowError> {
        guard record.fieldCount == fieldCount else {
            return .failure(InstrumentRowError(
                line: record.line, reason: .wrongFieldCount(expected: fieldCount, found: record.fieldCount)))
        }
        var reader = FieldReader(record: record)
        do throws(InstrumentRowError) {
            let token = try reader.integer(token, column: "instrument_token")
            reader.token = token
            let exchangeToken = try reader.integer(exchangeToken, column: "exchange_token")
            let tradingSymbol = try reader.text(tradingSymbol, column: "tradingsymbol", isRequired: true)
            let name = try reader.text(name, column: "name", isRequired: false)
            let expiry = try reader.day(expiry, column: "expiry")
            let strike = try reader.number(strike, column: "strike")
            let tickSize = try reader.number(tickSize, column: "tick_size")
            let lotSize = try reader.integer(lotSize, column: "lot_size")
            let instrumentType = try reader.text(instrumentType, column: "instrument_type", isRequired: true)
            var segment = try reader.text(segment, column: "segment", isRequired: true)
            let exchange = try reader.text(exchange, column: "exchange", isRequired: true)
            // Older dumps name the index segment `NSE-INDICES` (and `BSE-INDICES`).
            if segment.hasSuffix("-INDICES") { segment = "INDICES" }
            return .success(Instrument(
                token: token, exchangeToken: exchangeToken, tradingSymbol: tradingSymbol, name: name,
                expiry: expiry, strike: strike, tickSize: tickSize, lotSize: lotSize,
                instrumentType: instrumentType, segment: segment, exchange: exchange))
        } catch {
            return .failure(error)
        }
    }
}

/// Typed access to one record's fields, each failure naming the column and the value.
private struct FieldReader {
    let record: CSVRecordScanner
    var token: UInt32?

    init(record: CSVRecordScanner) { self.record = record }

    private func value(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    private func rejection(_ reason: InstrumentRowError.Reason) -> InstrumentRowError {
        InstrumentRowError(line: record.line, token: token, reason: reason)
    }

    func text(_ index: Int, column: String, isRequired: Bool) throws(InstrumentRowError) -> String {
        let bytes = record.field(index)
        if isRequired, bytes.isEmpty { throw rejection(.missingValue(column: column)) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw rejection(.invalidUTF8(column: column)) }
        return text
    }

    /// Digits, optionally followed by `.0…` as pandas writes integers it stored as floats.
    func integer(_ index: Int, column: String) throws(InstrumentRowError) -> UInt32 {
        let bytes = record.field(index)
        if bytes.isEmpty { throw rejection(.missingValue(column: column)) }
        var digits = bytes[...]
        var isNegative = false
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            isNegative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        if let dot = digits.firstIndex(of: UInt8(ascii: ".")) {
            guard digits[(dot + 1)...].allSatisfy({ $0 == UInt8(ascii: "0") }) else {
                throw rejection(.badInteger(column: column, value: value(bytes)))
            }
            digits = digits[..<dot]
        }
        guard !digits.isEmpty else { throw rejection(.badInteger(column: column, value: value(bytes))) }
        var result: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw rejection(.badInteger(column: column, value: value(bytes)))
            }
            result = result * 10 + UInt64(byte - UInt8(ascii: "0"))
            guard result <= UInt64(UInt32.max) else { throw rejection(.badInteger(column: column, value: value(bytes))) }
        }
        if isNegative, result != 0 { throw rejection(.negativeValue(column: column, value: value(bytes))) }
        return UInt32(result)
    }

    /// A finite, non-negative decimal; an empty field reads as 0, as some dumps leave it.
    func number(_ index: Int, column: String) throws(InstrumentRowError) -> Double {
        let bytes = record.field(index)
        if bytes.isEmpty { return 0 }
        // Double(String) also takes "nan", "inf" and hex floats, which no dump contains.
        let allowed = bytes.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
        }
        guard allowed, let number = Double(value(bytes)), number.isFinite else {
            throw rejection(.badNumber(column: column, value: value(bytes)))
        }
        if number < 0 { throw rejection(.negativeValue(column: column, value: value(bytes))) }
        if number >= Instrument.amountLimit { throw rejection(.tooLarge(column: column, value: value(bytes))) }
        return number
    }

    func day(_ index: Int, column: String) throws(InstrumentRowError) -> CalendarDay? {
        let bytes = record.field(index)
        if bytes.isEmpty { return nil }
        let text = value(bytes)
        guard let day = CalendarDay(iso: text) else { throw rejection(.badDate(column: column, value: text)) }
        return day
    }
}
