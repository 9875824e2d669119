import EventLog
import Foundation
import Services
import Testing
@testable import Gateway

/// `POST /ticks` and a supervised feed inside a real server.
@Suite struct TicksAndFeedTests {
    static func post(_ fixture: StreamingFixture, _ body: String, key: String?, idempotencyKey: String? = nil) throws -> TestResponse {
        let client = try TestClient(port: fixture.port)
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
