import Testing
@testable import Gateway

@Suite struct HTTPRequestParserTests {
    /// Feeds input one byte at a time and collects every event, as a slow client would deliver it.
    static func eventsFedByteByByte(_ input: [UInt8], limits: HTTPRequestParser.Limits = .init()) -> [HTTPRequestParser.Event] {
        var parser = HTTPRequestParser(limits: limits)
        var events: [HTTPRequestParser.Event] = []
        for byte in input {
            parser.append(CollectionOfOne(byte))
            while let event = parser.next() { events.append(event) }
        }
        return events
    }

    /// Feeds input in one piece and collects every event.
    static func eventsFedAtOnce(_ input: [UInt8], limits: HTTPRequestParser.Limits = .init()) -> [HTTPRequestParser.Event] {
        var parser = HTTPRequestParser(limits: limits)
        parser.append(input)
        var events: [HTTPRequestParser.Event] = []
        while let event = parser.next() { events.append(event) }
        return events
    }

    static func requests(in events: [HTTPRequestParser.Event]) -> [HTTPRequest] {
        events.compactMap { if case .request(let request) = $0 { request } else { nil } }
    }

    static func failure(in events: [HTTPRequestParser.Event]) -> HTTPError? {
        events.lazy.compactMap { if case .failure(let error) = $0 { error } else { nil } }.first
    }

    @Test func getRequestFedOneByteAtATimeIsParsed() throws {
        let events = Self.eventsFedByteByByte(.ascii("GET /instruments?exchange=NSE&q=re+l HTTP/1.1\r\nHost: example\r\nX-Thing:  spaced value \t\r\n\r\n"))
        let request = try #require(Self.requests(in: events).first)
        #expect(events.count == 1)
        #expect(request.method == .get)
        #expect(request.path == "/instruments")
        #expect(request.queryValue("exchange") == "NSE")
        #expect(request.queryValue("q") == "re l")
        #expect(request.headers["x-thing"] == "spaced value")
        #expect(request.headers["HOST"] == "example")
        #expect(request.body.isEmpty)
        #expect(request.keepsAlive)
    }

    @Test func pipelinedRequestsInOneBufferComeOutInOrder() {
        let input: [UInt8] = .ascii("GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nHost: h\r\n\r\n")
        for events in [Self.eventsFedAtOnce(input), Self.eventsFedByteByByte(input)] {
            let requests = Self.requests(in: events)
            #expect(requests.map(\.path) == ["/a", "/b", "/c"])
            #expect(requests.map(\.body) == [[], .ascii("abc"), []])
        }
    }

    @Test func contentLengthBodyIsCollectedAcrossPieces() throws {
        let events = Self.eventsFedByteByByte(.ascii("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"))
        let request = try #require(Self.requests(in: events).first)
        #expect(request.bodyText == "hello world")
    }

    @Test func chunkedBodyWithExtensionsAndTrailersIsDecoded() throws {
        let input: [UInt8] = .ascii("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n \r\n00005\r\nworld\r\n0\r\nX-Trailer: yes\r\n\r\n")
        let request = try #require(Self.requests(in: Self.eventsFedByteByByte(input)).first)
        #expect(request.bodyText == "hello world")
        #expect(request.headers["X-Trailer"] == nil)
    }

    @Test func chunkSizeIsHexadecimal() throws {
        let payload = String(repeating: "z", count: 26)
        let input: [UInt8] = .ascii("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1A\r\n\(payload)\r\n0\r\n\r\n")
        let request = try #require(Self.requests(in: Self.eventsFedAtOnce(input)).first)
        #expect(request.bodyText == payload)
    }

    @Test func expectContinueIsReportedBeforeTheBody() {
        var parser = HTTPRequestParser()
        parser.append(Array<UInt8>.ascii("POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"))
        #expect(parser.next() == .continueExpected)
        #expect(parser.next() == nil)
        parser.append(Array<UInt8>.ascii("ok"))
        guard case .request(let request) = parser.next() else {
            Issue.record("expected the request after its body")
            return
        }
        #expect(request.bodyText == "ok")
    }

    @Test func oversizedContentLengthIsRefusedBeforeContinue() {
        let limits = HTTPRequestParser.Limits(maxBodyBytes: 10)
        let events = Self.eventsFedAtOnce(.ascii("POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n"), limits: limits)
        #expect(events.count == 1)
        #expect(Self.failure(in: events)?.status == .contentTooLarge)
    }

    @Test func chunkedBodyOverTheLimitGets413() {
        let limits = HTTPRequestParser.Limits(maxBodyBytes: 8)
        let events = Self.eventsFedByteByByte(.ascii("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"), limits: limits)
        #expect(Self.failure(in: events)?.status == .contentTooLarge)
        #expect(Self.requests(in: events).isEmpty)
    }

    @Test func overlongRequestLineGets414WithoutWaitingForItsEnd() {
        let limits = HTTPRequestParser.Limits(maxRequestLineBytes: 32)
        let events = Self.eventsFedByteByByte(.ascii("GET /" + String(repeating: "a", count: 64)), limits: limits)
        #expect(Self.failure(in: events)?.status == .uriTooLong)
    }

    @Test func oversizedHeaderSectionGets431() {
        let limits = HTTPRequestParser.Limits(maxHeaderBytes: 64)
        let events = Self.eventsFedByteByByte(.ascii("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "b", count: 100) + "\r\n\r\n"), limits: limits)
        #expect(Self.failure(in: events)?.status == .requestHeaderFieldsTooLarge)
        #expect(Self.failure(in: events)?.code == "headers_too_large")
    }

    @Test func tooManyHeaderFieldsGets431() {
        let limits = HTTPRequestParser.Limits(maxHeaderCount: 3)
        let events = Self.eventsFedAtOnce(.ascii("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), limits: limits)
        #expect(Self.failure(in: events)?.code == "too_many_headers")
    }

    @Test func oneEmptyLineBeforeTheRequestLineIsIgnored() {
        let events = Self.eventsFedAtOnce(.ascii("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(Self.requests(in: events).count == 1)
    }

    @Test func absoluteFormTargetIsReducedToItsPath() throws {
        let request = try #require(Self.requests(in: Self.eventsFedAtOnce(.ascii("GET http://example.com/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n"))).first)
        #expect(request.target == "/a/b?c=d")
    }

    @Test func http10DefaultsToCloseAndHonoursKeepAlive() throws {
        let plain = try #require(Self.requests(in: Self.eventsFedAtOnce(.ascii("GET / HTTP/1.0\r\n\r\n"))).first)
        let kept = try #require(Self.requests(in: Self.eventsFedAtOnce(.ascii("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"))).first)
        let closed = try #require(Self.requests(in: Self.eventsFedAtOnce(.ascii("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))).first)
        #expect(!plain.keepsAlive)
        #expect(kept.keepsAlive)
        #expect(!closed.keepsAlive)
    }

    @Test func bytesAfterARequestAreLeftForTheNextProtocol() {
        var parser = HTTPRequestParser()
        parser.append(Array<UInt8>.ascii("GET /ws HTTP/1.1\r\nHost: h\r\n\r\n") + [0x81, 0x80])
        guard case .request = parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(parser.takeUnparsedBytes() == [0x81, 0x80])
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func nothingMoreComesOutAfterAFailure() {
        var parser = HTTPRequestParser()
        parser.append(Array<UInt8>.ascii("BAD\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(parser.next()?.isFailure == true)
        #expect(parser.next() == nil)
        #expect(parser.hasFailed)
    }

    static let invalidRequests: [(String, Int, String)] = [
        ("GET / HTTP/1.1\r\n\r\n", 400, "missing_host"),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "missing_host"),
        ("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request_line"),
        ("GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", 400, "malformed_request_line"),
        ("GET\r\n\r\n", 400, "malformed_request_line"),
        ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request_line"),
        ("GET relative HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request_line"),
        ("GET /caf\u{e9} HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request_line"),
        ("GET / HTTP/1.1\nHost: h\r\n\r\n", 400, "malformed_request_line"),
        ("GET / HTTP/1.1\r\nHost: h\n\r\n", 400, "malformed_header"),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "unsupported_version"),
        ("GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400, "malformed_request_line"),
        ("GET / http/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request_line"),
        ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "malformed_header"),
        ("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400, "malformed_header"),
        ("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400, "malformed_header"),
        ("GET / HTTP/1.1\r\nHost: h\r\n: empty-name\r\n\r\n", 400, "malformed_header"),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n", 400, "malformed_header"),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400, "malformed_header"),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "conflicting_framing"),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, "invalid_content_length"),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, "invalid_content_length"),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n", 400, "invalid_content_length"),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400, "invalid_content_length"),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413, "body_too_large"),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "unsupported_transfer_encoding"),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "unsupported_transfer_encoding"),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400, "unsupported_transfer_encoding"),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "unsupported_transfer_encoding"),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "malformed_chunk"),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400, "malformed_chunk"),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n", 400, "malformed_chunk"),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 413, "body_too_large"),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n", 400, "malformed_header"),
        ("GET / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n", 417, "expectation_failed"),
        ("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "malformed_request_line"),
    ]

    @Test(arguments: invalidRequests)
    func invalidRequestGetsTheRightStatusAndCode(input: String, status: Int, code: String) throws {
        for events in [Self.eventsFedAtOnce(.ascii(input)), Self.eventsFedByteByByte(.ascii(input))] {
            let error = try #require(Self.failure(in: events), "no failure for \(input.debugDescription)")
            #expect(error.status.rawValue == status, "\(input.debugDescription)")
            #expect(error.code == code, "\(input.debugDescription)")
            #expect(Self.requests(in: events).isEmpty)
        }
    }

    @Test func randomSplitsGiveTheSameEventsAsOneBuffer() {
        var random = SeededGenerator(seed: 0x5EED)
        let valid: [UInt8] = .ascii("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b?x=1 HTTP/1.1\r\nHost: h\r\n\r\nPUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        for _ in 0..<300 {
            var input = valid
            switch Int.random(in: 0..<4, using: &random) {
            case 0: input[Int.random(in: 0..<input.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            case 1: input.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...input.count, using: &random))
            case 2: input.removeLast(Int.random(in: 0..<input.count, using: &random))
            default: input = (0..<Int.random(in: 0..<200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            let whole = Self.eventsFedAtOnce(input)
            var parser = HTTPRequestParser()
            var pieces: [HTTPRequestParser.Event] = []
            var offset = 0
            while offset < input.count {
                let length = min(Int.random(in: 1...17, using: &random), input.count - offset)
                parser.append(input[offset..<offset + length])
                offset += length
                while let event = parser.next() { pieces.append(event) }
            }
            #expect(pieces == whole, "input \(input)")
            // A failure is always the last event: nothing is parsed past garbage.
            if let index = whole.firstIndex(where: \.isFailure) { #expect(index == whole.count - 1) }
        }
    }
}

extension HTTPRequestParser.Event {
    var isFailure: Bool {
        if case .failure = self { true } else { false }
    }
}
