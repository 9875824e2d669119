import EventLog

/// A request's query parameters checked against the names an endpoint accepts, with typed readers whose
/// errors name the parameter; a value type, used on the thread handling the request.
///
/// Unknown and repeated names are refused up front: a misspelt filter (`exchnage=NSE`) silently ignored would
/// return the whole catalog, which is worse than a 400. Equal when the same names have the same values, whatever
/// their order in the query, so it also keys cached answers.
struct QueryParameters: Sendable, Hashable {
    /// The parameter that may carry an API key: authentication reads it, so every endpoint accepts and skips it.
    static let apiKeyName = "api_key"

    private let values: [String: String]

    /// Reads the query of `request`, refusing names outside `allowed` and names given twice.
    init(_ request: HTTPRequest, allowed: [String]) throws(HTTPError) {
        var values: [String: String] = [:]
        for (name, value) in request.queryItems where name != Self.apiKeyName {
            guard allowed.contains(name) else {
                throw .invalidParameter(name, code: "unknown_parameter",
                                        "unknown query parameter \"\(name)\"; this endpoint accepts \(allowed.joined(separator: ", "))")
            }
            guard values[name] == nil else {
                throw .invalidParameter(name, "query parameter \"\(name)\" is given more than once; give it once")
            }
            values[name] = value
        }
        self.values = values
    }

    /// The raw value, or nil when the parameter is absent.
    func string(_ name: String) -> String? { values[name] }

    /// Whether the parameter is present (with any value, even empty).
    func contains(_ name: String) -> Bool { values[name] != nil }

    /// A decimal integer in `range`, or `defaultValue` when absent.
    func integer(_ name: String, in range: ClosedRange<Int>, default defaultValue: Int? = nil) throws(HTTPError) -> Int? {
        guard let text = values[name] else { return defaultValue }
        // Only plain digits: `Int("+5")` would accept a sign the schema does not describe.
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }), let value = Int(text), range.contains(value) else {
            throw .invalidParameter(name, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    /// A comma-separated list of instrument tokens, each plain decimal without leading zeros (the form the document's
    /// pattern describes), at most `limit` of them when given; nil when absent.
    func instrumentTokens(_ name: String, atMost limit: Int? = nil) throws(HTTPError) -> [UInt32]? {
        guard let text = values[name] else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        if let limit, parts.count > limit {
            throw .invalidParameter(name, "at most \(limit) tokens per request, got \(parts.count)")
        }
        var tokens: [UInt32] = []
        for part in parts {
            guard !part.isEmpty, part.utf8.allSatisfy({ (48...57).contains($0) }), part.count == 1 || part.first != "0",
                  let token = UInt32(part) else {
                throw .invalidParameter(name, "\(name) must be instrument tokens (integers 0 to 4294967295, no leading zeros) separated by commas, got \"\(part.prefix(32))\"")
            }
            tokens.append(token)
        }
        return tokens
    }

    /// A time given as whole Unix seconds (0 up to the year 2262, where nanoseconds leave an Int64), or nil when absent.
    func seconds(_ name: String) throws(HTTPError) -> Timestamp? {
        try integer(name, in: 0...Self.maxSeconds).map { Timestamp(nanoseconds: Int64($0) * 1_000_000_000) }
    }

    /// The largest time in Unix seconds whose nanoseconds fit an Int64.
    static let maxSeconds = Int(Int64.max / 1_000_000_000)

    /// A `YYYY-MM-DD` calendar day, or nil when absent.
    func day(_ name: String) throws(HTTPError) -> CalendarDay? {
        guard let text = values[name] else { return nil }
        guard let day = CalendarDay(exactly: text) else {
            throw .invalidParameter(name, "\(name) must be a date as YYYY-MM-DD, got \"\(text)\"")
        }
        return day
    }

    /// One of `choices` (exact spelling), `defaultValue` when absent.
    func choice<T>(_ name: String, _ choices: KeyValuePairs<String, T>, default defaultValue: T) throws(HTTPError) -> T {
        guard let text = values[name] else { return defaultValue }
        guard let match = choices.first(where: { $0.key == text }) else {
            let names = choices.map(\.key).joined(separator: ", ")
            throw .invalidParameter(name, "\(name) must be one of \(names), got \"\(text)\"")
        }
        return match.value
    }
}
