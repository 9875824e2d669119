import EventLog
import Foundation
import Projections
import Services
import TapeTestSupport
import Testing
@testable import Gateway

/// `POST /ticks` and a supervised feed inside a real server.
@Suite struct TicksAndFeedTests {
    static func post(_ fixture: StreamingFixture, _ body: String, key: String?, idempotencyKey: String? = nil) throws -> TestResponse {
        try post(port: fixture.port, body, key: key, idempotencyKey: idempotencyKey)
    }

    static func post(port: Int, _ body: String, key: String?, idempotencyKey: String? = nil) throws -> TestResponse {
        let client = try TestClient(port: port)
        var head = "POST /ticks HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\n"
        if let key { head += "X-API-Key: \(key)\r\n" }
        if let idempotencyKey { head += "Idempotency-Key: \(idempotencyKey)\r\n" }
        try client.send(head + "\r\n" + body)
        return try client.readResponse()
    }

    @Test func postedTicksAreAppendedOnceAndServed() throws {
        let fixture = try StreamingFixture()
        let body = #"[{"token":101,"price":101.25,"volume":7,"time":1764300000.5},{"token":999,"price":1,"volume":1}]"#
        #expect(try Self.post(fixture, body, key: nil).status == 401)
        let first = try Self.post(fixture, body, key: fixture.userKey, idempotencyKey: "batch-1")
        #expect(first.status == 200)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(first.body)) as? [String: Any])
        #expect(answer["durable"] as? Bool == true)
        #expect((answer["rejected"] as? [[String: Any]])?.map { $0["index"] as? Int } == [1])
        let end = fixture.server.log.acceptedEnd
        let retry = try Self.post(fixture, body, key: fixture.userKey, idempotencyKey: "batch-1")
        #expect(retry.headers["Idempotent-Replayed"] == "true")
        #expect(retry.body == first.body)
        #expect(fixture.server.log.acceptedEnd == end)
        fixture.waitUntilFolded()
        let quotes = try fixture.get("/quotes?tokens=101")
        #expect((quotes.json["items"] as? [[String: Any]])?.first?["price"] as? Double == 101.25)
        #expect(try Self.post(fixture, "not json", key: fixture.userKey).status == 400)
    }

    /// A restart loads the keys from the `idempotency` projection's rows and folds the markers past its
    /// checkpoint (here, a request ingested while the server was down) before it serves.
    @Test func keysSurviveARestartFromTheProjectionsRowsAndFromTheLogPastThem() throws {
        let directory = NSTemporaryDirectory() + "tape-idempotency-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let settings = TapeServer.Settings.forTests(directory: directory, adminKey: StreamingFixture.adminKey)
        let key = StreamingFixture.adminKey
        let listed = Instrument(token: 101, exchangeToken: 101, tradingSymbol: "SYM101", name: "Test 101", expiry: nil, strike: 0,
                                tickSize: 0.05, lotSize: 1, instrumentType: "EQ", segment: "NSE", exchange: "NSE")
        let body = #"[{"token":101,"price":101.25,"volume":7}]"#
        let first: TestResponse
        do {
            let server = try TapeServer(settings: settings)
            try server.log.append([Record(time: Timestamp.now(), event: .instrumentListed(listed))])
            try server.start()
            first = try Self.post(port: try #require(server.port), body, key: key, idempotencyKey: "before")
            #expect(first.status == 200)
            server.stop(gracePeriod: .zero)
        }
        // While the server is down, another process ingests a keyed request: its marker lies past every checkpoint.
        let offline: IngestResult
        do {
            let log = try EventLog(directory: directory + "/log")
            let catalog = InstrumentCatalog()
            try ProjectionRunner(projection: catalog, log: try log.makeReader(), databasePath: directory + "/offline.sqlite").catchUp()
            let service = TickIngestService(log: log, index: IdempotencyIndex(), instruments: { catalog.snapshot })
            offline = try service.ingest(body: Array(body.utf8), idempotencyKey: "while-down")
            try log.close()
        }
        let checkpoints = try Database(path: directory + "/projections.sqlite").prepare("SELECT offset FROM checkpoints WHERE name = 'idempotency'")
        #expect(try checkpoints.step())
        let checkpoint = UInt64(checkpoints.int64(at: 0))
        let server = try TapeServer(settings: settings)
        defer { server.stop(gracePeriod: .zero) }
        try server.start()
        let port = try #require(server.port)
        let end = server.log.acceptedEnd
        let offlineAt = try #require(offline.firstOffset)
        #expect(offlineAt > checkpoint)

        let again = try Self.post(port: port, body, key: key, idempotencyKey: "before")
        #expect(again.headers["Idempotent-Replayed"] == "true")
        #expect(again.body == first.body)
        let answered = try Self.post(port: port, body, key: key, idempotencyKey: "while-down")
        #expect(answered.headers["Idempotent-Replayed"] == "true")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(answered.body)) as? [String: Any])
        #expect((json["first_offset"] as? NSNumber)?.uint64Value == offline.firstOffset)
        #expect(server.log.acceptedEnd == end)
        #expect(try Self.post(port: port, body, key: key, idempotencyKey: "new").headers["Idempotent-Replayed"] == nil)
    }

    /// Fails its first `failures` runs, then ticks token 101 until stopped.
    final class FlakyFeed: Feed, @unchecked Sendable {
        let name = "flaky"
        let runs = Locked(0)
        let failures: Int
        init(failures: Int) { self.failures = failures }
        func run(_ context: FeedContext) throws {
            let run = runs.withLock { $0 += 1; return $0 }
            if run <= failures { throw ExchangeHungUp() }
            while !context.isStopRequested {
                try context.append([Record(time: context.now(), event: .tick(Tick(token: 101, price: 10_000, decimals: 2, volume: 1)))])
                context.sleep(until: Timestamp(rawValue: context.now().rawValue + 5_000_000))
            }
        }
        struct ExchangeHungUp: Error, CustomStringConvertible { var description: String { "the exchange hung up" } }
    }

    @Test func aFailingFeedDegradesHealthThenRecoversWhileTheAPIServes() throws {
        let feed = FlakyFeed(failures: 2)
        let fixture = try StreamingFixture { settings in
            settings.makeFeed = { log, _ in
                FeedSupervisor(feed: feed, log: log, backoff: .init(initial: .milliseconds(300), maximum: .milliseconds(300)))
            }
        }
        let supervisor = try #require(fixture.server.feed)
        let degraded = supervisor.waitForHealth(timeout: .seconds(10)) { $0.state == .degraded }
        #expect(degraded.state == .degraded)
        #expect(degraded.reason?.contains("the exchange hung up") == true)
        let health = try fixture.get("/health")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "degraded")
        #expect(try fixture.get("/instruments/101").status == 200)

        let recovered = supervisor.waitForHealth(timeout: .seconds(10)) { $0.state == .ok }
        #expect(recovered.state == .ok)
        #expect(eventually(within: .seconds(10)) { (try? fixture.get("/health").json["status"] as? String) == "ok" })
        #expect(feed.runs.withLock { $0 } == 3)
    }
}
