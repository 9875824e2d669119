import EventLog
import Foundation
import Testing
import TapeTestSupport
@testable import Gateway

/// A real `TapeServer` on an ephemeral port over a temporary data directory, with a few
/// instruments listed (tokens 101…110) and a user key.
final class StreamingFixture {
    static let adminKey = "admin-key-for-streaming-tests"
    let directory: String
    let server: TapeServer
    let port: Int
    let userKey: String
    private var time = Timestamp(rawValue: 1_764_300_000_000_000_000)

    init(configure: (inout TapeServer.Settings) -> Void = { _ in }) throws {
        directory = NSTemporaryDirectory() + "tape-streaming-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var settings = TapeServer.Settings.forTests(directory: directory, adminKey: Self.adminKey)
        configure(&settings)
        server = try TapeServer(settings: settings)
        let listedAt = time
        let instruments = (101...110).map { token in
            Record(time: listedAt, event: .instrumentListed(Instrument(
                token: UInt32(token), exchangeToken: UInt32(token), tradingSymbol: "SYM\(token)", name: "Test \(token)",
                expiry: nil, strike: 0, tickSize: 0.05, lotSize: 1, instrumentType: "EQ", segment: "NSE", exchange: "NSE")))
        }
        try server.log.append(instruments)
        userKey = try server.issueDemoKey()
        try server.start()
        port = try #require(server.port)
    }

    deinit {
        server.stop(gracePeriod: .zero)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Appends one tick per token (price 100.00 + 0.05·i, volume i + 1), each `step` after the
    /// previous (1 ms unless said), and returns the offsets, in order.
    @discardableResult
    func appendTicks(_ tokens: [UInt32], step: Duration = .milliseconds(1)) throws -> [UInt64] {
        let stepNanos = step.components.seconds * 1_000_000_000 + step.components.attoseconds / 1_000_000_000
        let records = tokens.enumerated().map { i, token in
            time = Timestamp(rawValue: time.rawValue + stepNanos)
            return Record(time: time, event: .tick(Tick(token: token, price: Int64(10_000 + i * 5), decimals: 2, volume: UInt64(i + 1))))
        }
        let range = try server.log.append(records)
        return Array(range)
    }

    /// Waits until the hub has queued everything appended so far.
    func waitUntilDelivered() {
        let end = server.log.acceptedEnd
        #expect(eventually(within: .seconds(10)) { server.hub.deliveredEnd >= end })
    }

    /// Waits until every projection has folded everything appended so far.
    func waitUntilFolded() {
        let end = server.log.acceptedEnd
        for runner in [server.quotesRunner, server.candlesRunner, server.sessionsRunner] {
            #expect(runner.waitUntilApplied(before: end, timeout: .seconds(10)))
        }
    }

    /// `GET target` over a fresh connection: the status and the JSON body.
    func get(_ target: String) throws -> (status: Int, json: [String: Any]) {
        try request("GET", target)
    }

    /// `method target` with an optional key and no body, over a fresh connection: the status and the JSON body.
    func request(_ method: String, _ target: String, key: String? = nil) throws -> (status: Int, json: [String: Any]) {
        let client = try TestClient(port: port)
        let keyHeader = key.map { "X-API-Key: \($0)\r\n" } ?? ""
        try client.send("\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n\(keyHeader)Content-Length: 0\r\n\r\n")
        let response = try client.readResponse()
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, json)
    }

    /// A connected `/ws/v2` client that has passed the handshake and read the welcome.
    func connect(key: String? = nil) throws -> StreamClient {
        let client = try StreamClient(port: port)
        let response = try client.raw.upgrade(path: "/ws/v2?api_key=\(key ?? userKey)")
        try #require(response.status == 101)
        let welcome = try client.next()
        #expect(welcome["type"] as? String == "welcome")
        return client
    }
}

/// A `/ws/v2` client that reads JSON messages and collects ticks.
final class StreamClient {
    let raw: TestClient
    /// Ticks received so far as (token, offset), in arrival order.
    private(set) var ticks: [(token: UInt32, offset: UInt64)] = []

    init(port: Int) throws { raw = try TestClient(port: port, receiveTimeoutSeconds: 10) }

    func send(_ json: String) throws { try raw.sendFrame(.text, Array(json.utf8)) }

    /// The next message that is not a `ticks` message (ticks are collected on the way).
    func next() throws -> [String: Any] {
        while true {
            let message = try nextMessage()
            if message["type"] as? String == "ticks" { continue }
            return message
        }
    }

    /// The next message of any type; ticks are recorded.
    func nextMessage() throws -> [String: Any] {
        let frame = try raw.readFrame()
        guard frame.opcode == .text else {
            throw TestClientError(description: "expected a text frame, got \(frame.opcode) \(WebSocketServerTests.closeCode(of: frame).map(String.init) ?? "")")
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(frame.payload)) as? [String: Any])
        if object["type"] as? String == "ticks", let data = object["data"] as? [[String: Any]] {
            for tick in data {
                ticks.append((UInt32(truncating: tick["token"] as! NSNumber), UInt64(truncating: tick["offset"] as! NSNumber)))
            }
        }
        return object
    }

    /// Reads until a tick at or past `offset` has arrived.
    func readTicks(through offset: UInt64) throws {
        while (ticks.last?.offset ?? 0) < offset { _ = try nextMessage() }
    }

    func subscribe(_ tokens: [UInt32], mode: String = "ltp") throws -> [String: Any] {
        try send(#"{"action":"subscribe","tokens":\#(tokens),"mode":"\#(mode)"}"#)
        return try next()
    }
}
