import Testing
@testable import Gateway

@Suite struct WebSocketHandshakeTests {
    static func request(method: HTTPMethod = .get, version: HTTPVersion = .http1_1, headers: [(String, String)]) -> HTTPRequest {
        var fields = HTTPHeaders()
        for (name, value) in headers { fields.add(name, value) }
        return HTTPRequest(method: method, target: "/stream", version: version, headers: fields)
    }

    static let validHeaders: [(String, String)] = [
        ("Host", "server.example.com"), ("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Origin", "http://example.com"), ("Sec-WebSocket-Version", "13"),
    ]

    static func replacing(_ name: String, with value: String?) -> [(String, String)] {
        var headers = validHeaders.filter { $0.0 != name }
        if let value { headers.append((name, value)) }
        return headers
    }

    @Test func acceptValueMatchesTheRFC6455Example() {
        #expect(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func validHandshakeGets101WithTheAcceptKey() throws {
        let response = try WebSocketHandshake.response(to: Self.request(headers: Self.validHeaders))
        #expect(response.status == .switchingProtocols)
        #expect(response.headers["Upgrade"] == "websocket")
        #expect(response.headers["Connection"] == "Upgrade")
        #expect(response.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(response.headers["Sec-WebSocket-Protocol"] == nil)
    }

    @Test func headerNamesAndTokensAreCaseInsensitive() throws {
        let headers = Self.replacing("Upgrade", with: "WebSocket").map { ($0.0.lowercased(), $0.0 == "Connection" ? "upgrade" : $0.1) }
        #expect(try WebSocketHandshake.response(to: Self.request(headers: headers)).status == .switchingProtocols)
    }

    @Test func firstSupportedSubprotocolIsChosen() throws {
        var headers = Self.validHeaders
        headers.append(("Sec-WebSocket-Protocol", "chat, kite.v3"))
        let response = try WebSocketHandshake.response(to: Self.request(headers: headers), supportedProtocols: ["kite.v3", "chat"])
        #expect(response.headers["Sec-WebSocket-Protocol"] == "kite.v3")
    }

    static let invalidHandshakes: [(String, [(String, String)], HTTPMethod, HTTPVersion, Int)] = [
        ("rule 1: method must be GET", validHeaders, .post, .http1_1, 405),
        ("rule 1: version must be 1.1", validHeaders, .get, .http1_0, 400),
        ("rule 2: Host is required", replacing("Host", with: nil), .get, .http1_1, 400),
        ("rule 3: Upgrade is required", replacing("Upgrade", with: nil), .get, .http1_1, 426),
        ("rule 3: Upgrade must name websocket", replacing("Upgrade", with: "h2c"), .get, .http1_1, 426),
        ("rule 4: Connection must include Upgrade", replacing("Connection", with: "keep-alive"), .get, .http1_1, 400),
        ("rule 5: key is required", replacing("Sec-WebSocket-Key", with: nil), .get, .http1_1, 400),
        ("rule 5: key must be base64", replacing("Sec-WebSocket-Key", with: "not base64!!"), .get, .http1_1, 400),
        ("rule 5: key must decode to 16 bytes", replacing("Sec-WebSocket-Key", with: "AAAA"), .get, .http1_1, 400),
        ("rule 6: version is required", replacing("Sec-WebSocket-Version", with: nil), .get, .http1_1, 426),
        ("rule 6: version must be 13", replacing("Sec-WebSocket-Version", with: "8"), .get, .http1_1, 426),
    ]

    @Test(arguments: invalidHandshakes)
    func handshakeBreakingARuleGetsA4xx(rule: String, headers: [(String, String)], method: HTTPMethod, version: HTTPVersion, status: Int) {
        #expect(throws: HTTPError.self, "\(rule)") {
            try WebSocketHandshake.response(to: Self.request(method: method, version: version, headers: headers))
        }
        do {
            _ = try WebSocketHandshake.response(to: Self.request(method: method, version: version, headers: headers))
        } catch {
            #expect(error.status.rawValue == status, "\(rule)")
        }
    }

    @Test func wrongVersionAdvertisesVersion13() {
        do {
            _ = try WebSocketHandshake.response(to: Self.request(headers: Self.replacing("Sec-WebSocket-Version", with: "8")))
            Issue.record("expected a 426")
        } catch {
            #expect(error.headers["Sec-WebSocket-Version"] == "13")
        }
    }
}
