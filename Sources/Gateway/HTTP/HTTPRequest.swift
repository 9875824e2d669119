/// A complete HTTP/1.1 request as parsed from the wire; a value type, usable from any thread.
public struct HTTPRequest: Sendable, Equatable {
    /// The request method.
    public var method: HTTPMethod
    /// The request-target exactly as received (origin-form `/path?query` for normal requests, RFC 9112 §3.2).
    public var target: String
    /// The protocol version from the request line.
    public var version: HTTPVersion
    /// The header fields in order of appearance.
    public var headers: HTTPHeaders
    /// The decoded content (chunked framing removed).
    public var body: [UInt8]

    /// Makes a request; the parser builds these, tests and in-process callers may too.
    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The path part of the target, before any `?`, still percent-encoded.
    public var path: String {
        guard let mark = target.firstIndex(of: "?") else { return target }
        return String(target[..<mark])
    }

    /// The query part of the target after `?`, or nil when there is none.
    public var query: String? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: mark)...])
    }

    /// The query's `name=value` pairs in order, percent-decoded with `+` read as a space (HTML form encoding).
    /// A malformed escape leaves that name or value as received.
    public var queryItems: [(name: String, value: String)] {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return [] }
        // Split as bytes: the separators are ASCII, and walking Characters cost more than the rest of the parsing.
        let query = target.utf8[target.utf8.index(after: mark)...]
        return query.split(separator: UInt8(ascii: "&")).map { pair in
            let decode = { (part: Substring.UTF8View) in Substring(part).percentDecoded(plusAsSpace: true) ?? String(Substring(part)) }
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { return (decode(pair), "") }
            return (decode(pair[..<equals]), decode(pair[pair.index(after: equals)...]))
        }
    }

    /// The first query value for a name.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Whether the connection stays open after this exchange (RFC 9112 §9.3: 1.1 defaults to persistent, 1.0 does not).
    public var keepsAlive: Bool {
        if headers.containsToken("close", in: "Connection") { return false }
        if version == .http1_0 { return headers.containsToken("keep-alive", in: "Connection") }
        return true
    }

    /// Whether the client asked to see `100 Continue` before sending content (RFC 9110 §10.1.1).
    public var expectsContinue: Bool {
        headers["Expect"].map { $0.trimmingOWS().lowercasedASCIIEquals("100-continue") } ?? false
    }

    /// The content as UTF-8 text, or nil when it is not valid UTF-8.
    public var bodyText: String? { String(validating: body, as: UTF8.self) }
}
