/// Reads tick items out of JSON text (RFC 8259): the elements of a request's array, or one
/// NDJSON line. Builds nothing but `TickFields`; other values are checked and skipped with an
/// explicit stack, so hostile input (deep nesting, huge strings, random bytes) costs one pass
/// over the bytes and cannot overflow the call stack. A value type owned by one parse.
struct TickJSONReader {
    /// Where and why the text stopped being JSON.
    struct SyntaxError: Error, Equatable {
        var position: Int
        var reason: String
    }

    /// Containers nested deeper than this inside an item are refused.
    static let maxDepth = 64

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
    }

    var isAtEnd: Bool { position >= end }

    /// The next byte, or nil at the end.
    var peek: UInt8? { position < end ? bytes[position] : nil }

    mutating func skipWhitespace() {
        // RFC 8259 §2: space, tab, line feed, carriage return.
        while position < end, bytes[position] == 0x20 || bytes[position] == 0x09 || bytes[position] == 0x0A || bytes[position] == 0x0D {
            position += 1
        }
    }

    /// Consumes `byte` after optional whitespace, or fails saying `expected`.
    mutating func expect(_ byte: UInt8, _ expected: String) throws(SyntaxError) {
        skipWhitespace()
        guard peek == byte else { throw fail("expected \(expected)") }
        position += 1
    }

    /// Consumes `byte` after optional whitespace if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard peek == byte else { return false }
        position += 1
        return true
    }

    func fail(_ reason: String) -> SyntaxError {
        SyntaxError(position: position, reason: position < end ? reason : reason + ", found the end")
    }

    // MARK: items

    /// Reads one item: an object's tick fields, or (for any other value) fields carrying the
    /// problem "an item must be an object".
    mutating func readItem() throws(SyntaxError) -> TickFields {
        skipWhitespace()
        var fields = TickFields()
        guard peek == UInt8(ascii: "{") else {
            let description = try describeAndSkipValue()
            fields.notAnObject = "an item must be a JSON object with token, price and volume, got \(description)"
            return fields
        }
        position += 1
        if consume(UInt8(ascii: "}")) { return fields }
        var seen: Set<String> = []
        repeat {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw fail("expected a field name in quotes") }
            let name = try readString()
            try expect(UInt8(ascii: ":"), "':' after a field name")
            skipWhitespace()
            if let field = TickFields.field(named: name) {
                if !seen.insert(String(decoding: name, as: UTF8.self)).inserted {
                    fields.problems.append("field \(String(decoding: name, as: UTF8.self)) appears twice")
                }
                fields[keyPath: field] = try readValue()
            } else {
                if fields.problems.count < 8 {
                    fields.problems.append("unknown field \"\(TickFields.quoted(name))\" (known: \(TickFields.names.joined(separator: ", ")))")
                }
                try skipValue()
            }
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), "',' or '}' after a field")
        return fields
    }

    /// A field's value: a number, absent for null, or a description of anything else.
    private mutating func readValue() throws(SyntaxError) -> TickFields.Value {
        guard let byte = peek else { throw fail("expected a value") }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = position
            while let b = peek, Self.isNumberByte(b) { position += 1 }
            guard let number = DecimalText(bytes[start..<position]) else {
                position = start
                throw fail("invalid number")
            }
            return .number(number)
        case UInt8(ascii: "n"):
            try readLiteral("null")
            return .absent
        default:
            return .notANumber(try describeAndSkipValue())
        }
    }

    /// Skips any value and says what it was, for a message.
    private mutating func describeAndSkipValue() throws(SyntaxError) -> String {
        guard let byte = peek else { throw fail("expected a value") }
        switch byte {
        case UInt8(ascii: "\""):
            return "a string \"\(TickFields.quoted(try readString()))\""
        case UInt8(ascii: "{"):
            try skipValue()
            return "an object"
        case UInt8(ascii: "["):
            try skipValue()
            return "an array"
        case UInt8(ascii: "t"):
            try readLiteral("true")
            return "true"
        case UInt8(ascii: "f"):
            try readLiteral("false")
            return "false"
        case UInt8(ascii: "n"):
            try readLiteral("null")
            return "null"
        default:
            try skipValue()
            return "a number"
        }
    }

    // MARK: values

    /// Skips one value of any kind, checking its syntax, with nesting kept on a heap stack.
    mutating func skipValue() throws(SyntaxError) {
        var stack: [Bool] = []  // true: inside an object
        while true {
            skipWhitespace()
            guard let byte = peek else { throw fail("expected a value") }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = byte == UInt8(ascii: "{")
                guard stack.count < Self.maxDepth else { throw fail("values nested deeper than \(Self.maxDepth) levels") }
                position += 1
                if consume(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) { break }
                stack.append(isObject)
                if isObject { try skipMemberName() }
                continue
            case UInt8(ascii: "\""):
                _ = try readString()
            case UInt8(ascii: "t"):
                try readLiteral("true")
            case UInt8(ascii: "f"):
                try readLiteral("false")
            case UInt8(ascii: "n"):
                try readLiteral("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = position
                while let b = peek, Self.isNumberByte(b) { position += 1 }
                guard DecimalText(bytes[start..<position]) != nil else {
                    position = start
                    throw fail("invalid number")
                }
            default:
                throw fail("expected a value")
            }
            // A value ended: close the containers it completes, then go on to the next member.
            while let isObject = stack.last {
                if consume(UInt8(ascii: ",")) {
                    if isObject { try skipMemberName() }
                    break
                }
                try expect(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"), isObject ? "',' or '}'" : "',' or ']'")
                stack.removeLast()
            }
            if stack.isEmpty { return }
        }
    }

    private mutating func skipMemberName() throws(SyntaxError) {
        skipWhitespace()
        guard peek == UInt8(ascii: "\"") else { throw fail("expected a field name in quotes") }
        _ = try readString()
        try expect(UInt8(ascii: ":"), "':' after a field name")
    }

    private mutating func readLiteral(_ literal: StaticString) throws(SyntaxError) {
        let start = position
        let matches = literal.withUTF8Buffer { expected in
            end - start >= expected.count && (0..<expected.count).allSatisfy { bytes[start + $0] == expected[$0] }
        }
        guard matches else { throw fail("invalid literal") }
        position += literal.utf8CodeUnitCount
    }

    /// Reads a string at the current quote and returns its UTF-8 bytes, escapes resolved
    /// (RFC 8259 §7); a string without escapes is returned as a slice of the input, uncopied.
    mutating func readString() throws(SyntaxError) -> ArraySlice<UInt8> {
        position += 1
        let start = position
        while position < end {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                defer { position += 1 }
                return bytes[start..<position]
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { throw fail("control character in a string") }
            position += 1
        }
        var decoded = Array(bytes[start..<position])
        while position < end {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return decoded[...]
            case UInt8(ascii: "\\"):
                guard let escape = peek else { throw fail("unterminated escape") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800..<0xDC00).contains(scalar), end - position >= 6,
                       bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                        position += 2
                        let low = try readHex4()
                        scalar = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                    }
                    decoded.append(contentsOf: String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8)
                default:
                    throw fail("invalid escape \\\(Unicode.Scalar(escape))")
                }
            default:
                guard byte >= 0x20 else { position -= 1; throw fail("control character in a string") }
                decoded.append(byte)
            }
        }
        throw fail("unterminated string")
    }

    private mutating func readHex4() throws(SyntaxError) -> UInt32 {
        guard end - position >= 4 else { throw fail("\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("\\u needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    /// The 1-based line and column of a byte position, for messages.
    func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        return (line, offset - lineStart + 1)
    }
}
