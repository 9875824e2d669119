import EventLog
import Foundation
import Testing
@testable import Gateway

/// `POST /admin/projections/{name}/rebuild` on a running server that keeps ingesting and serving.
@Suite(.serialized) struct ProjectionRebuildAPITests {
    static let path = "/admin/projections/quotes/rebuild"

    /// Polls the status until the rebuild ends, checking on the way that the projection serves.
    func waitForRebuild(_ fixture: StreamingFixture, _ path: String, whileServing check: () throws -> Void) throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            try check()
            let status = try fixture.request("GET", path, key: StreamingFixture.adminKey).json
            if status["phase"] as? String == "done" || status["phase"] as? String == "failed" { return status }
            Thread.sleep(forTimeInterval: 0.01)
        }
        Issue.record("the rebuild did not end within 60 s")
        return [:]
    }

    @Test func aRebuildSwapsInWhileQuotesKeepServingAndTicksKeepArriving() throws {
        let fixture = try StreamingFixture()
        let tokens = (101...110).map(UInt32.init)
        for _ in 0..<200 { try fixture.appendTicks(tokens) }
        fixture.waitUntilFolded()

        let started = try fixture.request("POST", Self.path, key: StreamingFixture.adminKey)
        #expect(started.status == 202)
        #expect(started.json["mode"] as? String == "swap")
        let health = try fixture.get("/health").json
        let quotesHealth = (health["components"] as? [String: Any]).flatMap { ($0["projections"] as? [String: Any])?["quotes"] as? [String: Any] }
        #expect(quotesHealth?["rebuild"] as? [String: Any] != nil)

        var answers = 0
        let status = try waitForRebuild(fixture, Self.path) {
            try fixture.appendTicks(tokens)
            let quotes = try fixture.get("/quotes?tokens=101,110")
            // Every answer during the rebuild is whole: both quotes, never an empty or partial book.
            #expect(quotes.status == 200)
            #expect((quotes.json["items"] as? [Any])?.count == 2)
            answers += 1
        }
        #expect(status["phase"] as? String == "done", "\(status)")
        #expect(answers > 0)
        #expect((status["hash"] as? String)?.count == 16)

        // Ticks after the swap still fold, and the live state equals a fresh fold of the whole log.
        let last = try fixture.appendTicks([105])
        #expect(fixture.server.quotesRunner.waitUntilApplied(before: last[0] + 1, timeout: .seconds(10)))
        let diff = try fixture.request("POST", Self.path + "?diff=true", key: StreamingFixture.adminKey)
        #expect(diff.status == 202)
        let report = try waitForRebuild(fixture, Self.path) {}
        let summary = try #require(report["diff"] as? [String: Any], "\(report)")
        #expect(summary["identical"] as? Bool == true, "\(summary)")

        // The status and /health (which now carries it) match the OpenAPI document.
        let document = SchemaCheck(document: try fixture.get("/openapi.json").json)
        #expect(document.problems(report, against: ["$ref": "#/components/schemas/ProjectionRebuild"]) == [])
        #expect(document.problems(try fixture.get("/health").json, against: ["$ref": "#/components/schemas/Health"]) == [])
        #expect(fixture.server.quotesRunner.waitUntilApplied(before: fixture.server.log.acceptedEnd, timeout: .seconds(10)))
    }

    @Test func onlyTheAdminRebuildsAndOnlyKnownProjections() throws {
        let fixture = try StreamingFixture()
        #expect(try fixture.request("POST", Self.path).status == 401)
        #expect(try fixture.request("POST", Self.path, key: fixture.userKey).status == 403)
        #expect(try fixture.request("GET", Self.path, key: fixture.userKey).status == 403)
        let unknown = try fixture.request("POST", "/admin/projections/nope/rebuild", key: StreamingFixture.adminKey)
        #expect(unknown.status == 404)
        #expect((unknown.json["error"] as? [String: Any])?["code"] as? String == "unknown_projection")
        #expect(try fixture.request("GET", Self.path, key: StreamingFixture.adminKey).status == 404)
        #expect(try fixture.request("POST", Self.path + "?diff=maybe", key: StreamingFixture.adminKey).status == 400)
    }
}
