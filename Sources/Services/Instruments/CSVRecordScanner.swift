/// Splits RFC 4180 text into records, one per `next()` call, with the line each starts on.
///
/// Accepts LF and CRLF line ends and quoted fields that contain commas, doubled quotes and
/// line breaks. After a quoting error it resumes on the line after the bad record's first
/// line, so one stray quote costs one row instead of the rest of the file.
/// A value type owned by the one parse call that creates it.
struct CSVRecordScanner {
    enum Outcome: Equatable {
        case record
        case malformedQuotes
        case end
    }

    private let bytes: [UInt8]
    private var position: Int
    private var nextLine = 1

    /// The 1-based line on which the record last returned starts.
    private(set) var line = 1
    /// The unescaped bytes of every field of the current record, back to back.
    private(set) var fieldBytes: [UInt8] = []
    /// Where each field ends in `fieldBytes`; field `i` starts where field `i - 1` ends.
    private(set) var fieldEnds: [Int] = []
    private(set) var fieldIsQuoted: [Bool] = []

    init(_ bytes: [UInt8], from start: Int = 0) {
        self.bytes = bytes
        self.position = start
    }

    var fieldCount: Int { fieldEnds.count }

    /// Field `index` of the current record; unquoted fields lose surrounding spaces and tabs.
    func field(_ index: Int) -> ArraySlice<UInt8> {
        var start = index == 0 ? 0 : fieldEnds[index - 1]
        var end = fieldEnds[index]
        if !fieldIsQuoted[index] {
            while start < end, Self.isBlank(fieldBytes[start]) { start += 1 }
            while end > start, Self.isBlank(fieldBytes[end - 1]) { end -= 1 }
        }
        return fieldBytes[start..<end]
    }

    /// True when the current record is an empty or whitespace-only line.
    var isBlank: Bool { fieldCount == 1 && !fieldIsQuoted[0] && field(0).isEmpty }

    mutating func next() -> Outcome {
        fieldBytes.removeAll(keepingCapacity: true)
        fieldEnds.removeAll(keepingCapacity: true)
        fieldIsQuoted.removeAll(keepingCapacity: true)
        line = nextLine
        guard position < bytes.count else { return .end }
        let recordStart = position
        let outcome = bytes.withUnsafeBufferPointer { scanRecord(in: $0) }
        if outcome == .malformedQuotes {
            // Resume after the first line break of the bad record.
            position = recordStart
            while position < bytes.count, bytes[position] != Self.lineFeed { position += 1 }
            position = min(position + 1, bytes.count)
            nextLine = line + 1
        }
        return outcome
    }

    private mutating func scanRecord(in buffer: UnsafeBufferPointer<UInt8>) -> Outcome {
        let count = buffer.count
        var index = position
        defer { position = index }
        while true {
            if index < count, buffer[index] == Self.quote {
                // RFC 4180 §2 rule 7: inside quotes, `""` is one quote; line breaks are data.
                index += 1
                while true {
                    guard index < count else { return .malformedQuotes }
                    let byte = buffer[index]
                    if byte == Self.quote {
                        if index + 1 < count, buffer[index + 1] == Self.quote {
                            fieldBytes.append(Self.quote)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    if byte == Self.lineFeed { nextLine += 1 }
                    fieldBytes.append(byte)
                    index += 1
                }
                fieldEnds.append(fieldBytes.count)
                fieldIsQuoted.append(true)
                guard index < count else { return endRecord() }
                switch buffer[index] {
                case Self.comma:
                    index += 1
                case Self.lineFeed:
                    index += 1
                    return endRecord()
                case Self.carriageReturn where index + 1 >= count || buffer[index + 1] == Self.lineFeed:
                    index += 1
                    if index < count { index += 1 }
                    return endRecord()
                default:
                    return .malformedQuotes
                }
            } else {
                let start = index
                while index < count, buffer[index] != Self.comma, buffer[index] != Self.lineFeed { index += 1 }
                var end = index
                if index == count || buffer[index] == Self.lineFeed, end > start, buffer[end - 1] == Self.carriageReturn {
                    end -= 1
                }
                fieldBytes.append(contentsOf: buffer[start..<end])
                fieldEnds.append(fieldBytes.count)
                fieldIsQuoted.append(false)
                guard index < count else { return endRecord() }
                index += 1
                if buffer[index - 1] == Self.lineFeed { return endRecord() }
            }
        }
    }

    private mutating func endRecord() -> Outcome {
        nextLine += 1
        return .record
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
}
