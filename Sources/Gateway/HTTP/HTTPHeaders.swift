/// An ordered list of header fields with case-insensitive lookup (RFC 9110 §5.1); a value type, usable from any thread.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// One field line: the name as received and its value with surrounding whitespace removed; a value, usable from any thread.
    public struct Field: Sendable, Equatable {
        /// The field name in its original case.
        public var name: String
        /// The field value.
        public var value: String
    }

    private var fields: [Field] = []

    /// Makes an empty header list.
    public init() {}

    /// Makes a header list from literal pairs, in order.
    public init(dictionaryLiteral elements: (String, String)...) {
        // Room for the fields middleware adds on the way out (request id, CORS), so they do not regrow the list.
        fields.reserveCapacity(elements.count + 2)
        for (name, value) in elements { add(name, value) }
    }

    /// The number of field lines.
    public var count: Int { fields.count }

    /// The first value for a name, compared case-insensitively.
    public subscript(name: String) -> String? {
        fields.first { $0.name.lowercasedASCIIEquals(name) }?.value
    }

    /// Every value for a name, in order of appearance.
    public func values(for name: String) -> [String] {
        fields.filter { $0.name.lowercasedASCIIEquals(name) }.map(\.value)
    }

    /// Whether the comma-separated list in any field of that name contains a token, case-insensitively (RFC 9110 §5.6.1).
    public func containsToken(_ token: String, in name: String) -> Bool {
        values(for: name).contains { value in
            value.split(separator: ",").contains { $0.trimmingOWS().lowercasedASCIIEquals(token) }
        }
    }

    /// Appends a field line, keeping any existing ones of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field of that name with one field line.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append(Field(name: name, value: value))
    }

    /// Removes every field of that name.
    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.lowercasedASCIIEquals(name) }
    }

    /// Iterates the field lines in order.
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}

extension StringProtocol {
    /// Compares two strings ignoring ASCII case only, as header names and tokens require (RFC 9110 §5.1).
    func lowercasedASCIIEquals(_ other: some StringProtocol) -> Bool {
        let lhs = utf8, rhs = other.utf8
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).allSatisfy { $0.asciiLowercased == $1.asciiLowercased }
    }

    /// Drops leading and trailing spaces and tabs (OWS, RFC 9110 §5.6.3).
    func trimmingOWS() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }
}

extension UInt8 {
    /// The byte with ASCII upper-case letters mapped to lower case.
    var asciiLowercased: UInt8 { (0x41...0x5A).contains(self) ? self | 0x20 : self }
}
