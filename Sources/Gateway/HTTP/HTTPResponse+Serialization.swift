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
        var bytes: [UInt8] = []
        writeHead(version: version, keepAlive: keepAlive, date: date, server: server, to: &bytes)
        return bytes
    }

    /// The whole response for a complete body; a HEAD request gets the same head and no content (RFC 9110 §9.3.2).
    func serialized(answering method: HTTPMethod, version: HTTPVersion, keepAlive: Bool, date: String, server: String) -> [UInt8] {
        var bytes: [UInt8] = []
        write(answering: method, version: version, keepAlive: keepAlive, date: date, server: server, to: &bytes)
        return bytes
    }

    /// Appends `serialized(answering:…)` to `bytes`, so a connection writes it straight into its output buffer.
    func write(answering method: HTTPMethod, version: HTTPVersion, keepAlive: Bool, date: String, server: String, to bytes: inout [UInt8]) {
        writeHead(version: version, keepAlive: keepAlive, date: date, server: server, to: &bytes)
        if method != .head, !status.forbidsContent, case .bytes(let content) = body {
            bytes += content
        }
    }

    /// Appends `serializedHead(…)` to `bytes`. The handler's fields keep their order; the server's own follow them:
    /// `Date` and `Server` unless the handler set them, then the framing, then `Connection`.
    func writeHead(version: HTTPVersion, keepAlive: Bool, date: String, server: String, to bytes: inout [UInt8]) {
        let framing = framing(for: version)
        // A 101 keeps the handler's `Connection: Upgrade`; every other `Connection` is the server's to say.
        let ownsConnection = status != .switchingProtocols
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        bytes.append(contentsOf: String(status.rawValue).utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: status.reasonPhrase.utf8)
        bytes.append(contentsOf: Self.lineEnd)
        var hasDate = false, hasServer = false
        for field in headers {
            let name = field.name
            if name.lowercasedASCIIEquals("Content-Length") || name.lowercasedASCIIEquals("Transfer-Encoding")
                || (ownsConnection && name.lowercasedASCIIEquals("Connection")) { continue }
            hasDate = hasDate || name.lowercasedASCIIEquals("Date")
            hasServer = hasServer || name.lowercasedASCIIEquals("Server")
            Self.writeField(name, field.value, to: &bytes)
        }
        // RFC 9110 §6.6.1: an origin server with a clock MUST send Date.
        if !hasDate { Self.writeField("Date", date, to: &bytes) }
        if !hasServer, !server.isEmpty { Self.writeField("Server", server, to: &bytes) }
        switch framing {
        case .length(let count): Self.writeField("Content-Length", String(count), to: &bytes)
        case .chunked: Self.writeField("Transfer-Encoding", "chunked", to: &bytes)
        case .untilClose, .none: break
        }
        if ownsConnection {
            if !keepAlive || framing == .untilClose {
                Self.writeField("Connection", "close", to: &bytes)
            } else if version == .http1_0 {
                Self.writeField("Connection", "keep-alive", to: &bytes)
            }
        }
        bytes.append(contentsOf: Self.lineEnd)
    }

    private static let lineEnd: [UInt8] = [0x0D, 0x0A]

    /// Appends `name: value` and CRLF. RFC 9110 §5.5: CR and LF never appear in a field; dropping them stops a value
    /// that echoes client input from splitting the response.
    private static func writeField(_ name: String, _ value: String, to bytes: inout [UInt8]) {
        writeWithoutLineBreaks(name, to: &bytes)
        bytes.append(contentsOf: ": ".utf8)
        writeWithoutLineBreaks(value, to: &bytes)
        bytes.append(contentsOf: lineEnd)
    }

    private static func writeWithoutLineBreaks(_ text: String, to bytes: inout [UInt8]) {
        let isLineBreak = { (byte: UInt8) in byte == 0x0D || byte == 0x0A }
        if text.utf8.contains(where: isLineBreak) {
            bytes.append(contentsOf: text.utf8.filter { !isLineBreak($0) })
        } else {
            bytes.append(contentsOf: text.utf8)
        }
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
