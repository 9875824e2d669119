import EventLog
import Foundation
import Testing
import TapeTestSupport
@testable import Gateway

/// Mutated requests and WebSocket frames sent over real loopback sockets to a running `TapeServer`,
/// which must answer or close every connection and still answer `/health` afterwards.
@Suite(.serialized) struct SocketFuzzTests {
    static let adminKey = "admin-key-for-socket-fuzzing"

    /// Requests for the real routes, reads and writes, so mutations reach the handlers behind the parser.
    static let requestSeeds: [[UInt8]] = [
        "GET /instruments/list?exchange=NSE&limit=5&q=SYM HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /instruments/101 HTTP/1.1\r\nHost: a\r\nX-API-Key: \(adminKey)\r\n\r\n",
        "GET /quotes?tokens=101,102 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /candles?token=101&resolution=1m&from=1764300000&to=1764400000 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /udf/history?symbol=SYM101&resolution=5&from=1764300000&to=1764400000 HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /ticks HTTP/1.1\r\nHost: a\r\nX-API-Key: \(adminKey)\r\nContent-Type: application/json\r\nContent-Length: 38\r\n\r\n[{\"token\":101,\"price\":10.5,\"volume\":1}]",
        "POST /alerts HTTP/1.1\r\nHost: a\r\nX-API-Key: \(adminKey)\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2a\r\n{\"token\":101,\"condition\":\"price_above\",\"pr\r\n10\r\nice\":11,\"x\":null}\r\n0\r\n\r\n",
        "POST /users HTTP/1.1\r\nHost: a\r\nX-API-Key: \(adminKey)\r\nContent-Length: 15\r\n\r\n{\"name\":\"ana\"}\n",
        "GET /health HTTP/1.1\r\nHost: a\r\n\r\nGET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    ].map { Array($0.utf8) }

    static func upgrade(_ path: String) -> [UInt8] {
        Array("GET \(path) HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-API-Key: \(adminKey)\r\n\r\n".utf8)
    }

    /// Sends `bytes`, half-closes, and reads until the server closes; returns the first bytes of what it answered,
    /// or nil if it neither answered nor closed in time.
    static func exchange(_ bytes: [UInt8], port: Int) throws -> String? {
        let socket = try Socket.makeConnected(host: "127.0.0.1", port: port)
        defer { socket.close() }
        try socket.setReceiveTimeout(seconds: 10)
        // The server may close before it has read everything (a refused request): a failed write is an answer too.
        do { try socket.writeAll(bytes) } catch { return "" }
        socket.shutdownWrite()
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var answer: [UInt8] = []
        while true {
            let result: IOResult<Int>
            do {
                result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
            } catch {
                return String(decoding: answer, as: UTF8.self)  // reset by the server
            }
            switch result {
            case .wouldBlock: return nil
            case .completed(0): return String(decoding: answer, as: UTF8.self)
            case .completed(let n): if answer.count < 64 { answer += chunk[0..<min(n, 64)] }
            }
        }
    }

    static func health(port: Int) throws -> String {
        let socket = try Socket.makeConnected(host: "127.0.0.1", port: port)
        defer { socket.close() }
        try socket.setReceiveTimeout(seconds: 10)
        try socket.writeAll(Array("GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".utf8))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while case .completed(let n) = try chunk.withUnsafeMutableBytes({ try socket.read(into: $0) }), n > 0 { received += chunk[0..<n] }
        return String(decoding: received, as: UTF8.self)
    }

    @Test func aServerFedMutatedRequestsAndFramesAnswersOrClosesEachAndStaysHealthy() throws {
        let directory = makeTemporaryDirectory("tape-socket-fuzz")
        defer { removeDirectory(directory) }
        let server = try TapeServer(settings: .forTests(directory: directory, adminKey: Self.adminKey))
        defer { server.stop(gracePeriod: .zero) }
        let listed = Timestamp(rawValue: 1_764_300_000_000_000_000)
        try server.log.append((101...105).map { token in
            Record(time: listed, event: .instrumentListed(Instrument(
                token: UInt32(token), exchangeToken: UInt32(token), tradingSymbol: "SYM\(token)", name: "Test \(token)", expiry: nil,
                strike: 0, tickSize: 0.05, lotSize: 1, instrumentType: "EQ", segment: "NSE", exchange: "NSE")))
        })
        try server.start()
        let port = try #require(server.port)

        let requests = FuzzCampaign("socket-http", defaultSeed: 0x534F_434B, seeds: Self.requestSeeds, dictionary: HTTPRequestParserFuzzTests.dictionary,
                                    maxLength: 32 * 1024, inputs: 1_500, inputDeadline: .seconds(10))
        var succeeded = 0, refused = 0
        requests.run { bytes, _ in
            guard let answer = try Self.exchange(bytes, port: port) else { throw FuzzViolation("the server neither answered nor closed within 10 s") }
            if answer.hasPrefix("HTTP/1.1 2") { succeeded += 1 } else if answer.hasPrefix("HTTP/1.1 4") { refused += 1 }
            // 501 and 505 name what is not implemented (a transfer coding, HTTP/0.x); a 500 is the server failing.
            if answer.hasPrefix("HTTP/1.1 500") { throw FuzzViolation("the server failed on a client's mistake: \(answer)") }
        }.expectClean("HTTP over a socket")
        // Both kinds of answer occur: the valid requests got through to the handlers, the broken ones were refused.
        #expect(succeeded > 50 && refused > 50, "\(succeeded) successes, \(refused) refusals")

        // Frames after a valid upgrade, on both streaming routes.
        let frames = FuzzCampaign("socket-websocket", defaultSeed: 0x5753_534B, seeds: WebSocketFuzzTests.seeds, dictionary: WebSocketFuzzTests.dictionary,
                                  maxLength: 4096, inputs: 1_000, inputDeadline: .seconds(10))
        var upgraded = 0
        frames.run { bytes, rng in
            let path = rng.index(2) == 0 ? "/ws/v2" : "/ws/kite?api_key=k&access_token=\(Self.adminKey)"
            guard let answer = try Self.exchange(Self.upgrade(path) + bytes, port: port) else { throw FuzzViolation("the server neither answered nor closed within 10 s") }
            if answer.hasPrefix("HTTP/1.1 101") { upgraded += 1 }
        }.expectClean("WebSocket over a socket")
        #expect(upgraded > 500, "only \(upgraded) of 1000 upgrades were accepted: the frames never reached the decoder")

        let health = try Self.health(port: port)
        #expect(health.hasPrefix("HTTP/1.1 200"), "after the fuzzing, /health answered: \(health.prefix(300))")
    }
}
