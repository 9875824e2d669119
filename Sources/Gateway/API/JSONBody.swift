import Foundation

/// The fields of a JSON object request body, read with errors that name the field and what to send.
/// A value, used by one handler at a time.
struct JSONBody {
    /// The parsed object.
    let fields: [String: Any]

    /// Parses the request body as a JSON object (400 `invalid_json` otherwise).
    init(_ request: HTTPRequest) throws(HTTPError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)), let fields = object as? [String: Any] else {
            throw HTTPError(.badRequest, code: "invalid_json", message: "the body must be a JSON object")
        }
        self.fields = fields
    }

    /// Wraps an object already parsed (an item of a batch).
    init(fields: [String: Any]) { self.fields = fields }

    /// Whether the field is present (null included).
    func has(_ key: String) -> Bool { fields[key] != nil }

    /// Whether the field is present and null.
    func isNull(_ key: String) -> Bool { fields[key] is NSNull }

    /// A string field, nil when absent or null.
    func text(_ key: String) throws(HTTPError) -> String? {
        guard let value = fields[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw HTTPError.invalidParameter(key, "\(key) must be a string") }
        return text
    }

    /// A finite number field, nil when absent or null.
    func number(_ key: String) throws(HTTPError) -> Double? {
        guard let value = fields[key], !(value is NSNull) else { return nil }
        // On Linux any NSNumber casts to Bool; a JSON true/false is the one whose type code is "c".
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c", number.doubleValue.isFinite else {
            throw HTTPError.invalidParameter(key, "\(key) must be a number")
        }
        return number.doubleValue
    }

    /// A whole-number field in `range`, nil when absent or null.
    func whole(_ key: String, in range: ClosedRange<UInt64>) throws(HTTPError) -> UInt64? {
        guard let number = try number(key) else { return nil }
        guard number >= Double(range.lowerBound), number <= Double(range.upperBound), number == number.rounded() else {
            throw HTTPError.invalidParameter(key, "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return UInt64(number)
    }

    /// A boolean field, nil when absent or null.
    func bool(_ key: String) throws(HTTPError) -> Bool? {
        guard let value = fields[key], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else {
            throw HTTPError.invalidParameter(key, "\(key) must be true or false")
        }
        return number.boolValue
    }

    /// Refuses fields outside `known`, so a misspelt one does not pass silently.
    func rejectUnknown(_ known: Set<String>) throws(HTTPError) {
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw HTTPError(.badRequest, code: "unknown_field",
                            message: "unknown field \(unknown); known: \(known.sorted().joined(separator: ", "))")
        }
    }
}
