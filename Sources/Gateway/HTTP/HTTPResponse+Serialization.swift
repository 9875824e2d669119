extension HTTPResponse {
    /// How the content length is framed on the wire (RFC 9112 §6); a plain value, usable from any thread.
    enum Framing: Equatable {
        /// `Content-Length: n` followed by n bytes.
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// No length: the content ends when the connection closes (only for HTTP/1.0 clients).
        case untilClose
        /// No content at all (1xx, 204, 304).
        case none
    }

    /// The framing this response uses when answering a request of that version.
    func framing(for version: HTTPVersion) -> Framing {
        if status.forbidsContent { return .none }
        switch body {
        case .bytes(let bytes): return .length(bytes.count)
        // Chunked coding needs an HTTP/1.1 recipient (RFC 9112 §7.1).
        case .stream: return version == .http1_0 ? .untilClose : .chunked
        }
    }

    /// The status line and header section, including the framing, `Date`, `Server` and `Connection` fields.
    func serializedHead(version: HTTPVersion, keepAlive: Bool, date: String, server: String) -> [UInt8] {
        var head = "HTTP/1.1 \(status.rawValue) \(status.reasonPhrase)\r\n"
        var fields = headers
        // RFC 9110 §6.6.1: an origin server with a clock MUST send Date.
        if fields["Date"] == nil { fields.add("Date", date) }
        if fields["Server"] == nil, !server.isEmpty { fields.add("Server", server) }
        fields.remove("Content-Length")
        fields.remove("Transfer-Encoding")
        switch framing(for: version) {
        case .length(let count): fields.add("Content-Length", String(count))
        case .chunked: fields.add("Transfer-Encoding", "chunked")
        case .untilClose, .none: break
        }
        if status != .switchingProtocols {
            fields.remove("Connection")
            if !keepAlive || framing(for: version) == .untilClose {
                fields.add("Connection", "close")
            } else if version == .http1_0 {
                fields.add("Connection", "keep-alive")
            }
        }
        for field in fields {
            // RFC 9110 §5.5: CR and LF never appear in a field; dropping them stops a value that echoes client
            // input from splitting the response.
            head += "\(field.name.withoutLineBreaks): \(field.value.withoutLineBreaks)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8)
    }

    /// The whole response for a complete body; a HEAD request gets the same head and no content (RFC 9110 §9.3.2).
    func serialized(answering method: HTTPMethod, version: HTTPVersion, keepAlive: Bool, date: String, server: String) -> [UInt8] {
        var bytes = serializedHead(version: version, keepAlive: keepAlive, date: date, server: server)
        if method != .head, !status.forbidsContent, case .bytes(let content) = body {
            bytes += content
        }
        return bytes
    }

    /// One chunk of chunked content: size in hex, CRLF, data, CRLF (RFC 9112 §7.1); empty input yields nothing.
    static func chunk(_ data: [UInt8]) -> [UInt8] {
        guard !data.isEmpty else { return [] }
        return Array(String(data.count, radix: 16).utf8) + [0x0D, 0x0A] + data + [0x0D, 0x0A]
    }

    /// The last-chunk with an empty trailer section that ends chunked content (RFC 9112 §7.1).
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// The interim response sent before reading content the client is holding back (RFC 9110 §10.1.1).
    static let continueHead: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}

extension String {
    /// The string with every CR and LF removed (usually the string itself, returned without copying).
    fileprivate var withoutLineBreaks: String {
        guard utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) else { return self }
        return String(decoding: utf8.filter { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
    }
}
