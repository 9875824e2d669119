import EventLog
import Testing
@testable import Gateway

/// Hostile HTTP/1.1 request bytes, fed to the request parser in random chunk sizes.
@Suite struct HTTPRequestParserFuzzTests {
    static let seeds: [[UInt8]] = [
        "GET /instruments?exchange=NSE&limit=50 HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n",
        "POST /ticks HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n[{\"token\":1,\"price\":1.5,\"volume\":10}]\r\n",
        "POST /alerts HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
        "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        "GET /ws/v2 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\u{81}\u{85}abcd",
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "\r\nGET http://example.com/quotes/408065?x=%41%zz HTTP/1.0\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\nX-API-Key: key\r\nContent-Length: 0\r\n\r\n",
        "DELETE /alerts/7 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    ].map { Array($0.utf8) }

    static let dictionary: [[UInt8]] = [
        "\r\n", "\r\n\r\n", "\n", " ", ":", "Content-Length: ", "Transfer-Encoding: chunked\r\n", "Host: a\r\n", "HTTP/1.1",
        "HTTP/2.0", "chunked", "Expect: 100-continue\r\n", "0\r\n\r\n", "ffffffffffffffff", "%", "?", ";", "\u{0}", "\t",
    ].map { Array($0.utf8) }

    /// Small limits, so mutations reach every limit check; the defaults are used for the other half of the inputs.
    static let smallLimits = HTTPRequestParser.Limits(maxRequestLineBytes: 64, maxHeaderBytes: 256, maxHeaderCount: 8, maxBodyBytes: 128)

    /// What one parse of a whole input produced, and whether the parser kept to its limits on the way.
    struct Parse {
        var events: [HTTPRequestParser.Event] = []
    }

    /// Feeds `bytes` in the given chunk sizes (the whole input when empty) and checks the limits after each chunk.
    static func parse(_ bytes: [UInt8], limits: HTTPRequestParser.Limits, chunks: [Int]) throws -> [HTTPRequestParser.Event] {
        var parser = HTTPRequestParser(limits: limits)
        var events: [HTTPRequestParser.Event] = []
        // Without a newline a line stops growing at its limit; so does the header section; chunk-size lines stop at 1024.
        let bufferBound = max(limits.maxRequestLineBytes + 1, limits.maxHeaderBytes, 1025)
        var start = 0
        var sizes = chunks.makeIterator()
        while start < bytes.count {
            let end = min(bytes.count, start + (sizes.next() ?? bytes.count))
            parser.append(bytes[start..<end])
            start = end
            while let event = parser.next() {
                events.append(event)
                if case .request(let request) = event {
                    guard request.body.count <= limits.maxBodyBytes else {
                        throw FuzzViolation("a request body of \(request.body.count) bytes passed the \(limits.maxBodyBytes)-byte limit")
                    }
                    // What every route reads of a request: none of it may trap on a strange target.
                    _ = (request.path, request.query, request.queryItems, request.headers["Host"], request.headers.values(for: "Content-Length"))
                }
            }
            guard parser.hasFailed || parser.bufferedByteCount <= bufferBound else {
                throw FuzzViolation("the parser buffers \(parser.bufferedByteCount) bytes while waiting, over its bound of \(bufferBound)")
            }
        }
        if let failure = events.firstIndex(where: { if case .failure = $0 { true } else { false } }), failure != events.count - 1 {
            throw FuzzViolation("the parser produced events after a failure: \(events[failure...])")
        }
        return events
    }

    @Test func mutatedRequestsFedInRandomChunksNeverCrashHangOrOutgrowTheLimits() {
        let campaign = FuzzCampaign("http-request-parser", defaultSeed: 0x4854_5450, seeds: Self.seeds, dictionary: Self.dictionary)
        let report = campaign.run { bytes, rng in
            let limits = rng.index(2) == 0 ? Self.smallLimits : HTTPRequestParser.Limits()
            let whole = try Self.parse(bytes, limits: limits, chunks: [])
            // Any split of the same bytes must mean the same requests: the parser is incremental, not chunk-sensitive.
            let maxChunk = [1, 3, 17, 200][rng.index(4)]
            let chunks = (0..<bytes.count).map { _ in 1 + rng.index(maxChunk) }
            let split = try Self.parse(bytes, limits: limits, chunks: chunks)
            guard whole == split else {
                throw FuzzViolation("chunks of at most \(maxChunk) bytes gave \(split), the whole input gave \(whole)")
            }
        }
        report.expectClean("HTTP request parser")
    }
}
