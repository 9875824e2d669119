import EventLog
import Foundation

/// A request body that must be one JSON object, read field by field; every refusal is a 400 naming the field, so
/// a body the OpenAPI schema calls invalid is never half-accepted. A value used on the thread handling the request.
struct JSONObjectBody {
    private let fields: [String: Any]

    /// Parses the body; anything but a JSON object is a 400 `invalid_json`. With `allowsEmpty`, no body at all reads as `{}`.
    init(_ request: HTTPRequest, allowsEmpty: Bool = false) throws(HTTPError) {
        if allowsEmpty, request.body.isEmpty {
            fields = [:]
            return
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)), let fields = object as? [String: Any] else {
            throw HTTPError(.badRequest, code: "invalid_json", message: "the body must be a JSON object")
        }
        self.fields = fields
    }

    /// Whether the body has the field, with any value (`null` included).
    func contains(_ name: String) -> Bool { fields[name] != nil }

    /// Refuses the first field (in byte order) that is not in `known`, as 400 `unknown_field`.
    func refuseFields(notIn known: Set<String>) throws(HTTPError) {
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw HTTPError(.badRequest, code: "unknown_field", message: "unknown field \(unknown)")
        }
    }

    /// The field as a string, nil when absent; any other JSON type (null included) is a 400.
    func string(_ name: String) throws(HTTPError) -> String? {
        guard let value = fields[name] else { return nil }
        guard let text = value as? String else { throw HTTPError.invalidParameter(name, "\(name) must be a string") }
        return text
    }

    /// The field as a string of `lengths` characters, counted as JSON Schema counts them (Unicode code points).
    func string(_ name: String, lengths: ClosedRange<Int>) throws(HTTPError) -> String? {
        guard let text = try string(name) else { return nil }
        guard lengths.contains(text.unicodeScalars.count) else {
            throw HTTPError.invalidParameter(name, "\(name) must be a string of \(lengths.lowerBound) to \(lengths.upperBound) characters")
        }
        return text
    }

    /// The field as `true` or `false`, nil when absent; anything else (a number included) is a 400.
    func bool(_ name: String) throws(HTTPError) -> Bool? {
        guard let value = fields[name] else { return nil }
        // On Linux any NSNumber casts to Bool; a JSON true/false is the one whose type code is "c".
        guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else {
            throw HTTPError.invalidParameter(name, "\(name) must be true or false")
        }
        return number.boolValue
    }

    /// The field as a finite number, nil when absent; a boolean, a string or null is a 400.
    func number(_ name: String) throws(HTTPError) -> Double? {
        guard let value = fields[name] else { return nil }
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c", number.doubleValue.isFinite else {
            throw HTTPError.invalidParameter(name, "\(name) must be a number")
        }
        return number.doubleValue
    }

    /// The field as an amount of currency (a strike, a tick size): from 0 to below
    /// `Instrument.amountLimit`; nil when absent.
    func amount(_ name: String) throws(HTTPError) -> Double? {
        guard let number = try number(name) else { return nil }
        guard number >= 0, number < Instrument.amountLimit else {
            throw HTTPError.invalidParameter(name, "\(name) must be a number from 0 to below \(Int(Instrument.amountLimit))")
        }
        return number
    }

    /// The field as a whole number from 0 to 4294967295, nil when absent.
    func uint32(_ name: String) throws(HTTPError) -> UInt32? {
        guard let number = try number(name) else { return nil }
        guard number >= 0, number <= Double(UInt32.max), number == number.rounded() else {
            throw HTTPError.invalidParameter(name, "\(name) must be a whole number from 0 to 4294967295")
        }
        return UInt32(number)
    }

    /// The field as a `YYYY-MM-DD` day, `.some(nil)` for `null`, nil when absent.
    func day(_ name: String) throws(HTTPError) -> CalendarDay?? {
        guard let value = fields[name] else { return nil }
        if value is NSNull { return .some(nil) }
        guard let text = value as? String, let day = CalendarDay(exactly: text) else {
            throw HTTPError.invalidParameter(name, "\(name) must be YYYY-MM-DD or null")
        }
        return day
    }
}
