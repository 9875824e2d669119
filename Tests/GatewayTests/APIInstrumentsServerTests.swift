import EventLog
import Foundation
import Projections
import Testing
@testable import Gateway

/// InstrumentsAPI behind a real HTTPServer on an ephemeral port, over one keep-alive connection.
@Suite struct APIInstrumentsServerTests {
    @Test func pagingOverTheWireReturnsExactlyTotalDistinctItems() throws {
        let catalog = try APIFixtures.makeCatalog()
        let live = try LiveAPI(catalog)
        let pages = try live.allPages("active=any&limit=23")
        let tokens = pages.flatMap(\.tokens)
        #expect(pages.count == 14)
        #expect(pages.allSatisfy { $0.status == 200 && $0.total == 300 })
        #expect(Set(tokens).count == 300 && tokens.count == 300)
        #expect(pages.allSatisfy { $0.headers["Access-Control-Allow-Origin"] == "*" })
    }

    @Test func offsetPagingOverTheWireAgreesWithCursorPaging() throws {
        let live = try LiveAPI(try APIFixtures.makeCatalog())
        let byCursor = try live.allPages("type=CE&limit=10").flatMap(\.tokens)
        var byOffset: [Int] = []
        for offset in stride(from: 0, to: byCursor.count, by: 10) {
            byOffset += try live.get("/instruments/list?type=CE&limit=10&offset=\(offset)").tokens
        }
        #expect(!byCursor.isEmpty && byOffset == byCursor)
    }

    @Test func errorsOverTheWireCarryTheirStatusTheEnvelopeAndCORS() throws {
        let ticks = Locked<Int64>(0)
        let catalog = try APIFixtures.makeCatalog(retainedSnapshots: 1, cursorLifetime: .seconds(1), clock: {
            ticks.withLock { $0 += 10_000_000_000; return Timestamp(nanoseconds: $0) }
        })
        let live = try LiveAPI(catalog)
        let cursor = try #require(try live.get("/instruments/list?limit=2").nextCursor)
        catalog.publish(through: 2_000)
        catalog.publish(through: 2_001)
        let cases: [(String, Int, String)] = [
            ("/instruments/list?limit=2&cursor=\(cursor)", 410, "cursor_expired"),
            ("/instruments/list?limit=0", 400, "invalid_parameter"),
            ("/instruments/list?offset=1&cursor=\(cursor)", 400, "invalid_parameter"),
            ("/instruments/list?colour=red", 400, "unknown_parameter"),
            ("/instruments/search", 400, "invalid_parameter"),
            ("/instruments/abc", 400, "invalid_parameter"),
            ("/instruments/5", 404, "not_found"),
        ]
        for (target, status, code) in cases {
            let response = try live.get(target)
            #expect(response.status == status, "\(target)")
            #expect(response.errorCode == code, "\(target)")
            #expect(response.headers["Access-Control-Allow-Origin"] == "*", "\(target)")
        }
    }

    @Test func statsSearchLookUpAndTheDocumentAnswerOverTheWire() throws {
        let live = try LiveAPI(try APIFixtures.makeCatalog())
        #expect(try live.get("/instruments/stats").object["total_active"] as? Int == 266)
        #expect(try live.get("/instruments/search?q=GOLD&limit=5").tokens.count == 5)
        #expect(try live.get("/instruments/1002").object["exchange"] as? String == "NFO")
        let document = try live.get("/openapi.json").object
        // The four reads and the document itself.
        #expect((document["paths"] as? [String: Any])?.count == 5)
    }

    @Test func browserPreflightIsAnswered() throws {
        let live = try LiveAPI(try APIFixtures.makeCatalog())
        try live.client.send("OPTIONS /instruments/list HTTP/1.1\r\nHost: localhost\r\nOrigin: https://charts.example\r\nAccess-Control-Request-Method: GET\r\n\r\n")
        let response = try live.client.readResponse()
        #expect(response.status == 204)
        #expect(response.headers["Access-Control-Allow-Origin"] == "*")
    }
}
