/// An incremental HTTP/1.1 request parser (RFC 9112) that does no I/O: append bytes, then pull events.
///
/// Owned by one connection on its event loop thread; as a value type it can also be driven from a test.
/// Several pipelined requests in one buffer come out one `next()` at a time, in order.
public struct HTTPRequestParser: Sendable {
    /// Size limits; going over one ends the connection with a 4xx naming the limit. A value, usable from any thread.
    public struct Limits: Sendable, Equatable {
        /// The longest request line accepted; longer gets 414 (RFC 9112 §3 requires 414 for a too-long target).
        public var maxRequestLineBytes: Int
        /// The most bytes in the header section (field lines with their CRLFs); more gets 431.
        public var maxHeaderBytes: Int
        /// The most field lines; more gets 431.
        public var maxHeaderCount: Int
        /// The most content bytes after chunked decoding; more gets 413.
        public var maxBodyBytes: Int

        /// Makes limits; the defaults suit a JSON API.
        public init(maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, maxBodyBytes: Int = 1 << 20) {
            self.maxRequestLineBytes = maxRequestLineBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// What the parser has found in the bytes so far; a value, usable from any thread.
    public enum Event: Sendable, Equatable {
        /// A whole request, content included.
        case request(HTTPRequest)
        /// A request head asked for `100 Continue` and its content is still to come (RFC 9110 §10.1.1).
        case continueExpected
        /// The input is not a valid request; the connection must answer with this error and close.
        case failure(HTTPError)
    }

    private enum State: Equatable {
        case requestLine(emptyLinesSkipped: Int)
        case headerLines
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailerLines
        case failed
    }

    /// The configured limits.
    public let limits: Limits
    private var state: State = .requestLine(emptyLinesSkipped: 0)
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Where the search for the next LF resumes, so byte-at-a-time input stays linear.
    private var scanIndex = 0
    private var head: HTTPRequest?
    private var headerBytes = 0
    private var headerCount = 0
    private var body: [UInt8] = []

    /// Makes a parser with the given limits.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Adds received bytes; call `next()` until it returns nil to collect what they complete.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if readIndex > 4096, readIndex * 2 > buffer.count {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The bytes received but not yet consumed by a complete event.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether the parser is between requests with nothing buffered.
    public var isIdle: Bool {
        if case .requestLine = state, bufferedByteCount == 0 { return true }
        return false
    }

    /// Whether part of a request head has arrived but not all of it (the header timeout runs then).
    public var isReadingHead: Bool {
        switch state {
        case .requestLine: bufferedByteCount > 0
        case .headerLines: true
        default: false
        }
    }

    /// Whether the parser has failed and will produce nothing more.
    public var hasFailed: Bool { state == .failed }

    /// Removes and returns the bytes after the last complete request (what follows an upgrade belongs to the new protocol).
    public mutating func takeUnparsedBytes() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer.removeAll(keepingCapacity: true)
        readIndex = 0
        scanIndex = 0
        return rest
    }

    /// Parses as far as the buffered bytes allow and returns the next event, or nil when more input is needed.
    public mutating func next() -> Event? {
        while true {
            switch state {
            case .failed:
                return nil
            case .requestLine(let skipped):
                switch nextLine(limit: limits.maxRequestLineBytes) {
                case .needMore: return nil
                case .tooLong: return fail(HTTPError(.uriTooLong, code: "request_line_too_long", message: "The request line is longer than \(limits.maxRequestLineBytes) bytes."))
                case .bareLineFeed: return fail(.badRequest("Lines must end with CRLF.", code: "malformed_request_line"))
                case .line(let range):
                    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
                    if range.isEmpty {
                        guard skipped < 4 else { return fail(.badRequest("Too many empty lines before the request line.", code: "malformed_request_line")) }
                        state = .requestLine(emptyLinesSkipped: skipped + 1)
                        continue
                    }
                    switch parseRequestLine(buffer[range]) {
                    case .success(let request):
                        head = request
                        headerBytes = 0
                        headerCount = 0
                        body = []
                        state = .headerLines
                    case .failure(let error):
                        return fail(error)
                    }
                }
            case .headerLines, .trailerLines:
                let isTrailer = state == .trailerLines
                let budget = limits.maxHeaderBytes - headerBytes
                switch nextLine(limit: max(budget - 2, 0)) {
                case .needMore: return nil
                case .tooLong: return fail(HTTPError(.requestHeaderFieldsTooLarge, code: "headers_too_large", message: "The header section is larger than \(limits.maxHeaderBytes) bytes."))
                case .bareLineFeed: return fail(.badRequest("Lines must end with CRLF.", code: "malformed_header"))
                case .line(let range):
                    headerBytes += range.count + 2
                    if range.isEmpty {
                        if isTrailer {
                            return finishRequest()
                        }
                        if let event = headerSectionEnded() { return event }
                        continue
                    }
                    headerCount += 1
                    guard headerCount <= limits.maxHeaderCount else {
                        return fail(HTTPError(.requestHeaderFieldsTooLarge, code: "too_many_headers", message: "The request has more than \(limits.maxHeaderCount) header fields."))
                    }
                    switch parseFieldLine(buffer[range]) {
                    case .success(let field):
                        // Trailer fields are parsed for validity and then dropped: no handler here reads them.
                        if !isTrailer { head?.headers.add(field.name, field.value) }
                    case .failure(let error):
                        return fail(error)
                    }
                }
            case .fixedBody(let remaining):
                let take = min(remaining, bufferedByteCount)
                body.append(contentsOf: buffer[readIndex..<readIndex + take])
                readIndex += take
                scanIndex = readIndex
                if take == remaining { return finishRequest() }
                state = .fixedBody(remaining: remaining - take)
                return nil
            case .chunkSize:
                switch nextLine(limit: 1024) {
                case .needMore: return nil
                case .tooLong: return fail(.badRequest("A chunk-size line is longer than 1024 bytes.", code: "malformed_chunk"))
                case .bareLineFeed: return fail(.badRequest("Lines must end with CRLF.", code: "malformed_chunk"))
                case .line(let range):
                    switch parseChunkSize(buffer[range]) {
                    case .failure(let error): return fail(error)
                    case .success(0): state = .trailerLines
                    case .success(let size):
                        guard size <= limits.maxBodyBytes - body.count else { return fail(bodyTooLarge) }
                        state = .chunkData(remaining: size)
                    }
                }
            case .chunkData(let remaining):
                let take = min(remaining, bufferedByteCount)
                body.append(contentsOf: buffer[readIndex..<readIndex + take])
                readIndex += take
                scanIndex = readIndex
                guard take == remaining else {
                    state = .chunkData(remaining: remaining - take)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard bufferedByteCount >= 2 else {
                    if bufferedByteCount == 1, buffer[readIndex] != 0x0D { return fail(.badRequest("Chunk data must be followed by CRLF.", code: "malformed_chunk")) }
                    return nil
                }
                guard buffer[readIndex] == 0x0D, buffer[readIndex + 1] == 0x0A else {
                    return fail(.badRequest("Chunk data must be followed by CRLF.", code: "malformed_chunk"))
                }
                readIndex += 2
                scanIndex = readIndex
                state = .chunkSize
            }
        }
    }

    private var bodyTooLarge: HTTPError {
        HTTPError(.contentTooLarge, code: "body_too_large", message: "The request content is larger than \(limits.maxBodyBytes) bytes.")
    }

    private mutating func fail(_ error: HTTPError) -> Event {
        state = .failed
        head = nil
        body = []
        return .failure(error)
    }

    private mutating func finishRequest() -> Event {
        guard var request = head else { return fail(.internalError) }
        request.body = body
        head = nil
        body = []
        state = .requestLine(emptyLinesSkipped: 0)
        return .request(request)
    }
}

extension HTTPRequestParser {
    private enum LineResult {
        case line(Range<Int>)
        case needMore
        case tooLong
        case bareLineFeed
    }

    /// Finds the next CRLF-terminated line, returning its content without the CRLF (RFC 9112 §2.2).
    private mutating func nextLine(limit: Int) -> LineResult {
        var index = max(scanIndex, readIndex)
        while index < buffer.count, buffer[index] != 0x0A { index += 1 }
        guard index < buffer.count else {
            scanIndex = index
            // The line may still end with CR; anything past limit + CR is already too long.
            return buffer.count - readIndex > limit + 1 ? .tooLong : .needMore
        }
        // Judged as if the LF had not arrived yet, so that the same bytes fail the same way however they are split.
        guard index - readIndex <= limit + 1 else { return .tooLong }
        // A bare LF is a line terminator we refuse: accepting it invites request smuggling across parsers.
        guard index > readIndex, buffer[index - 1] == 0x0D else { return .bareLineFeed }
        let line = readIndex..<(index - 1)
        guard line.count <= limit else { return .tooLong }
        readIndex = index + 1
        scanIndex = readIndex
        return .line(line)
    }

    /// Parses `method SP request-target SP HTTP-version` (RFC 9112 §3).
    private func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<HTTPRequest, HTTPError> {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return .failure(.badRequest("The request line must be `METHOD target HTTP/1.1` with single spaces.", code: "malformed_request_line"))
        }
        let methodBytes = parts[0], targetBytes = parts[1], versionBytes = parts[2]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(\.isTokenCharacter) else {
            return .failure(.badRequest("The method is not a valid token.", code: "malformed_request_line"))
        }
        // RFC 3986 allows only visible ASCII in a URI; anything else is a malformed target.
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return .failure(.badRequest("The request target is empty or contains characters a URI cannot.", code: "malformed_request_line"))
        }
        let method = HTTPMethod(rawValue: String(decoding: methodBytes, as: UTF8.self))
        guard let target = originForm(String(decoding: targetBytes, as: UTF8.self), method: method) else {
            return .failure(.badRequest("The request target must be an absolute path such as /instruments.", code: "malformed_request_line"))
        }
        // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3).
        let version = Array(versionBytes)
        guard version.count == 8, version[0..<5].elementsEqual("HTTP/".utf8), version[6] == 0x2E,
              version[5].isDigit, version[7].isDigit else {
            return .failure(.badRequest("The protocol version must look like HTTP/1.1.", code: "malformed_request_line"))
        }
        let major = Int(version[5] - 0x30), minor = Int(version[7] - 0x30)
        guard major == 1 else {
            return .failure(HTTPError(.httpVersionNotSupported, code: "unsupported_version", message: "Only HTTP/1.0 and HTTP/1.1 are served here."))
        }
        return .success(HTTPRequest(method: method, target: target, version: HTTPVersion(major: 1, minor: minor)))
    }

    /// Reduces a request-target to origin-form (RFC 9112 §3.2): a server MUST accept absolute-form too.
    private func originForm(_ target: String, method: HTTPMethod) -> String? {
        if target.hasPrefix("/") { return target }
        if target == "*", method == .options { return target }
        for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
            let afterScheme = target.dropFirst(scheme.count)
            guard let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
            let rest = String(afterScheme[slash...])
            return rest.hasPrefix("/") ? rest : "/" + rest
        }
        return nil
    }

    /// Parses `field-name ":" OWS field-value OWS` (RFC 9112 §5).
    private func parseFieldLine(_ line: ArraySlice<UInt8>) -> Result<HTTPHeaders.Field, HTTPError> {
        // RFC 9112 §5.2: obs-fold (a line starting with whitespace) may be rejected with 400; we do.
        if let first = line.first, first == 0x20 || first == 0x09 {
            return .failure(.badRequest("Folded header lines (obs-fold) are not accepted.", code: "malformed_header"))
        }
        guard let colon = line.firstIndex(of: 0x3A) else {
            return .failure(.badRequest("A header line has no colon.", code: "malformed_header"))
        }
        let name = line[line.startIndex..<colon]
        // RFC 9112 §5.1: no whitespace is allowed between the field name and colon; a server MUST reject it with 400.
        guard !name.isEmpty, name.allSatisfy(\.isTokenCharacter) else {
            return .failure(.badRequest("A header name is empty or is not a token.", code: "malformed_header"))
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
        // RFC 9110 §5.5: field values are visible characters, obs-text, SP and HTAB; CR, LF and NUL MUST be rejected.
        guard value.allSatisfy({ $0 == 0x20 || $0 == 0x09 || (0x21...0x7E).contains($0) || $0 >= 0x80 }) else {
            return .failure(.badRequest("A header value contains a control character.", code: "malformed_header"))
        }
        return .success(HTTPHeaders.Field(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
    }

    /// Decides how the content is framed once the header section is complete (RFC 9112 §6.3).
    private mutating func headerSectionEnded() -> Event? {
        guard let request = head else { return fail(.internalError) }
        let headers = request.headers
        // RFC 9112 §3.2: a 1.1 request without exactly one Host field MUST get 400.
        if request.version.minor >= 1, headers.values(for: "Host").count != 1 {
            return fail(.badRequest("An HTTP/1.1 request needs exactly one Host header.", code: "missing_host"))
        }
        let transferEncodings = headers.values(for: "Transfer-Encoding")
        let contentLengths = headers.values(for: "Content-Length")
        if let expectation = headers["Expect"], !expectation.trimmingOWS().lowercasedASCIIEquals("100-continue") {
            return fail(HTTPError(.expectationFailed, code: "expectation_failed", message: "Only `Expect: 100-continue` is supported."))
        }
        let wantsContinue = request.expectsContinue && request.version.minor >= 1
        if !transferEncodings.isEmpty {
            // RFC 9112 §6.1: both fields together suggest smuggling; the brief and §6.3 allow rejecting them.
            guard contentLengths.isEmpty else {
                return fail(.badRequest("Content-Length and Transfer-Encoding must not both be sent.", code: "conflicting_framing"))
            }
            guard request.version.minor >= 1 else {
                return fail(.badRequest("Transfer-Encoding requires HTTP/1.1.", code: "unsupported_transfer_encoding"))
            }
            let codings = transferEncodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingOWS().lowercased() }
            // RFC 9112 §6.3 rule 4: chunked must be the final coding or the length cannot be known: 400.
            guard codings.last == "chunked", codings.filter({ $0 == "chunked" }).count == 1 else {
                return fail(.badRequest("Transfer-Encoding must end with chunked exactly once.", code: "unsupported_transfer_encoding"))
            }
            // RFC 9112 §6.1: a coding we do not implement gets 501.
            guard codings.count == 1 else {
                return fail(HTTPError(.notImplemented, code: "unsupported_transfer_encoding", message: "Only the chunked transfer coding is supported."))
            }
            state = .chunkSize
            return wantsContinue ? .continueExpected : nil
        }
        if !contentLengths.isEmpty {
            // RFC 9112 §6.3 rule 5: several differing values, or a non-number, are unrecoverable: 400.
            let values = Set(contentLengths.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { String($0.trimmingOWS()) })
            guard values.count == 1, let text = values.first, !text.isEmpty, text.utf8.allSatisfy(\.isDigit) else {
                return fail(.badRequest("Content-Length must be one non-negative decimal number.", code: "invalid_content_length"))
            }
            guard text.count <= 18, let length = Int(text), length <= limits.maxBodyBytes else { return fail(bodyTooLarge) }
            if length == 0 { return finishRequest() }
            state = .fixedBody(remaining: length)
            return wantsContinue ? .continueExpected : nil
        }
        // RFC 9112 §6.3 rule 7: a request with neither field has no content.
        return finishRequest()
    }

    /// Parses `chunk-size [ chunk-ext ]` (RFC 9112 §7.1); extensions are checked for control characters and ignored.
    private func parseChunkSize(_ line: ArraySlice<UInt8>) -> Result<Int, HTTPError> {
        let digits = line.prefix(while: \.isHexDigit)
        guard !digits.isEmpty else {
            return .failure(.badRequest("A chunk size must start with hexadecimal digits.", code: "malformed_chunk"))
        }
        var rest = line[digits.endIndex...]
        while let first = rest.first, first == 0x20 || first == 0x09 { rest.removeFirst() }
        guard rest.isEmpty || (rest.first == 0x3B && rest.allSatisfy({ $0 == 0x09 || (0x20...0x7E).contains($0) || $0 >= 0x80 })) else {
            return .failure(.badRequest("A chunk size is followed by something other than an extension.", code: "malformed_chunk"))
        }
        let significant = digits.drop { $0 == 0x30 }
        guard significant.count <= 15 else { return .failure(bodyTooLarge) }
        return .success(significant.reduce(0) { $0 << 4 | Int($1.hexValue) })
    }
}

extension UInt8 {
    /// Whether the byte is a `tchar` allowed in tokens such as methods and header names (RFC 9110 §5.6.2).
    var isTokenCharacter: Bool {
        switch self {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }

    /// Whether the byte is an ASCII decimal digit.
    var isDigit: Bool { (0x30...0x39).contains(self) }

    /// Whether the byte is an ASCII hexadecimal digit.
    var isHexDigit: Bool { isDigit || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }

    /// The value of a hexadecimal digit.
    var hexValue: UInt8 { isDigit ? self - 0x30 : (self | 0x20) - 0x61 + 10 }
}
