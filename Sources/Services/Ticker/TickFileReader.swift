import EventLog
import Glibc

/// Reads a file of ticks for `tape import ticks`, in chunks of whole lines, so that a file of
/// any size imports in bounded memory.
///
/// Two formats, chosen by extension (`.csv`; `.ndjson`, `.jsonl`, `.json`) or else by the first
/// non-blank byte (`{` is NDJSON):
/// - CSV (RFC 4180) with a header naming at least `token,price,volume,time`, optionally `oi`,
///   `bid`, `ask`, in any order; an empty cell is an absent value.
/// - NDJSON: one tick object per line, the same objects `POST /ticks` takes.
/// Fields mean what they mean for `TickIngest` (currency units, Unix seconds, absent time is the
/// import's start). Each bad line is reported with its 1-based line number and skipped.
/// Owned by one thread (it holds the file's read position).
public final class TickFileReader {
    public enum Format: String, Sendable {
        case csv
        case ndjson
    }

    /// One bad line of the file.
    public struct LineRejection: Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// What one chunk of the file held.
    public struct Chunk: Sendable {
        /// The good lines' ticks, in file order.
        public var records: [Record]
        public var rejected: [LineRejection]
        /// Bytes of the file read so far, for progress.
        public var bytesRead: Int64
    }

    /// Columns a CSV header must name.
    public static let requiredColumns = ["token", "price", "volume", "time"]

    public let path: String
    public private(set) var format = Format.csv
    /// The file's size in bytes when opened.
    public let size: Int64

    private let descriptor: Int32
    private let ingest: TickIngest
    private let chunkBytes: Int
    /// Read but not yet parsed: always starts at a line (record) boundary.
    private var pending: [UInt8] = []
    private var bytesRead: Int64 = 0
    private var isAtEnd = false
    /// The file line `pending` starts on.
    private var line = 1
    /// CSV: the field index of each tick field, and the header's field count.
    private var columns: [(field: WritableKeyPath<TickFields, TickFields.Value>, index: Int)]?
    private var headerFieldCount = 0

    /// Opens `path`; ticks are validated against `instruments` (delisted ones accepted: history).
    public init(path: String, instruments: any InstrumentLookup, receivedAt: Timestamp,
                chunkBytes: Int = 4 << 20) throws(TickFileError) {
        self.path = path
        self.chunkBytes = max(1 << 10, chunkBytes)
        ingest = TickIngest(instruments: instruments, receivedAt: receivedAt, acceptsDelisted: true)
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        var status = stat()
        fstat(descriptor, &status)
        size = Int64(status.st_size)

        let lowered = path.lowercased()
        var format: Format?
        if lowered.hasSuffix(".csv") { format = .csv }
        if [".ndjson", ".jsonl", ".json"].contains(where: { lowered.hasSuffix($0) }) { format = .ndjson }
        try fill()
        if pending.starts(with: [0xEF, 0xBB, 0xBF]) { pending.removeFirst(3) }
        let first = pending.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        self.format = format ?? (first == UInt8(ascii: "{") ? .ndjson : .csv)
        if self.format == .csv { try readHeader() }
    }

    // Also runs when `init` throws after opening: every stored property is set by then, so closing
    // there too would close the descriptor twice (and perhaps another file's, reusing its number).
    deinit { close(descriptor) }

    /// The next chunk of ticks and rejections; nil at the end of the file.
    public func next() throws(TickFileError) -> Chunk? {
        if pending.isEmpty && isAtEnd { return nil }
        try fill()
        var cut = lastBoundary()
        while cut == nil && !isAtEnd {
            try fill(growing: true)
            cut = lastBoundary()
        }
        let end = cut.map { $0 + 1 } ?? pending.count
        let bytes = Array(pending[0..<end])
        pending.removeFirst(end)
        var chunk = Chunk(records: [], rejected: [], bytesRead: bytesRead - Int64(pending.count))
        switch format {
        case .ndjson: parseLines(bytes, into: &chunk)
        case .csv: parseRows(bytes, into: &chunk)
        }
        line += bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        return chunk
    }

    // MARK: reading

    /// Reads until `pending` holds a chunk's worth (or one more block, when `growing`) or the file ends.
    private func fill(growing: Bool = false) throws(TickFileError) {
        let target = growing ? pending.count + chunkBytes : chunkBytes
        var block = [UInt8](repeating: 0, count: min(chunkBytes, 1 << 20))
        while pending.count < target && !isAtEnd {
            let n = block.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { isAtEnd = true }
            pending.append(contentsOf: block[0..<n])
            bytesRead += Int64(n)
        }
    }

    /// The last line feed in `pending` that ends a record: for CSV, one outside quotes
    /// (RFC 4180 §2: quotes pair up, a doubled quote included, so parity tells).
    private func lastBoundary() -> Int? {
        guard format == .csv else { return pending.lastIndex(of: 0x0A) }
        var last: Int?
        forEachBoundary { last = $0; return true }
        return last
    }

    /// The first line feed in `pending` outside CSV quotes.
    private func firstBoundary() -> Int? {
        var first: Int?
        forEachBoundary { first = $0; return false }
        return first
    }

    private func forEachBoundary(_ visit: (Int) -> Bool) {
        var insideQuotes = false
        for (index, byte) in pending.enumerated() {
            if byte == UInt8(ascii: "\"") {
                insideQuotes.toggle()
            } else if byte == 0x0A && !insideQuotes && !visit(index) {
                return
            }
        }
    }

    // MARK: NDJSON

    private func parseLines(_ bytes: [UInt8], into chunk: inout Chunk) {
        var start = 0
        var number = line
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            if bytes[start..<end].contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) {
                add(ingest.parseLine(bytes, start..<end), line: number, to: &chunk)
            }
            number += 1
            start = end + 1
        }
    }

    // MARK: CSV

    private func readHeader() throws(TickFileError) {
        var names: [String] = []
        while names.isEmpty {
            guard let end = firstBoundary() ?? (isAtEnd && !pending.isEmpty ? pending.count : nil) else {
                throw .noHeader(path: path)
            }
            let header = Array(pending[0..<end])
            pending.removeFirst(min(end + 1, pending.count))
            line += 1 + header.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            var scanner = CSVRecordScanner(header)
            let outcome = scanner.next()
            guard outcome != .malformedQuotes else { throw .badColumn("", reason: "has unbalanced quotes", path: path) }
            if outcome == .record && !scanner.isBlank {
                names = (0..<scanner.fieldCount).map { String(decoding: scanner.field($0), as: UTF8.self).lowercased() }
            }
        }
        var columns: [(WritableKeyPath<TickFields, TickFields.Value>, Int)] = []
        var seen: Set<String> = []
        for (index, name) in names.enumerated() where !name.isEmpty {
            guard let field = TickFields.field(named: name.utf8) else { throw .badColumn(name, reason: "is not a tick field", path: path) }
            guard seen.insert(name).inserted else { throw .badColumn(name, reason: "appears twice", path: path) }
            columns.append((field, index))
        }
        let missing = Self.requiredColumns.filter { !seen.contains($0) }
        guard missing.isEmpty else { throw .missingColumns(missing, path: path) }
        self.columns = columns
        headerFieldCount = names.count
    }

    private func parseRows(_ bytes: [UInt8], into chunk: inout Chunk) {
        guard let columns else { return }
        var scanner = CSVRecordScanner(bytes)
        while true {
            switch scanner.next() {
            case .end:
                return
            case .malformedQuotes:
                chunk.rejected.append(LineRejection(line: line + scanner.line - 1, message: "has an unterminated quoted field or text after a closing quote"))
            case .record:
                if scanner.isBlank { continue }
                let number = line + scanner.line - 1
                guard scanner.fieldCount == headerFieldCount else {
                    chunk.rejected.append(LineRejection(line: number, message: "has \(scanner.fieldCount) fields, the header has \(headerFieldCount)"))
                    continue
                }
                var fields = TickFields()
                for (field, index) in columns { fields[keyPath: field] = TickFields.value(ofCell: scanner.field(index)) }
                add(ingest.validator.validate(fields), line: number, to: &chunk)
            }
        }
    }

    private func add(_ outcome: TickValidator.Outcome, line: Int, to chunk: inout Chunk) {
        switch outcome {
        case .record(let record): chunk.records.append(record)
        case .rejected(let message): chunk.rejected.append(LineRejection(line: line, message: message))
        }
    }
}
