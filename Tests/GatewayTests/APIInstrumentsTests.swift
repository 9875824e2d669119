import EventLog
import Foundation
import Projections
import Testing
@testable import Gateway

/// InstrumentsAPI driven in-process through the router.
@Suite struct APIInstrumentsTests {
    let catalog: InstrumentCatalog
    let api: InProcessAPI

    init() throws {
        catalog = try APIFixtures.makeCatalog()
        api = InProcessAPI(catalog)
    }

    // MARK: list

    @Test(arguments: [1, 7, 50, 1_000])
    func pagingWithNextCursorReturnsExactlyTotalDistinctItemsInCatalogOrder(limit: Int) throws {
        let pages = try api.allPages("limit=\(limit)")
        let tokens = pages.flatMap(\.tokens)
        let expected = APIFixtures.expectedTokens(CatalogFilter(), in: catalog)
        #expect(pages.allSatisfy { $0.status == 200 && $0.total == expected.count })
        #expect(Set(tokens).count == tokens.count)
        #expect(tokens == expected)
        #expect(pages.allSatisfy { $0.items.count <= limit })
        #expect(pages.last?.object["next_cursor"] is NSNull)
    }

    @Test func defaultPageHasFiftyActiveItemsAndTheSnapshotOffset() throws {
        let page = try api.get("/instruments/list")
        #expect(page.items.count == 50)
        #expect(page.items.allSatisfy { $0["active"] as? Bool == true })
        #expect(page.object["as_of_offset"] as? Int == 300 + 34)
    }

    @Test func offsetPagingAgreesWithCursorPaging() throws {
        let byCursor = try api.allPages("limit=37&exchange=NFO").flatMap(\.tokens)
        var byOffset: [Int] = []
        for offset in stride(from: 0, to: byCursor.count + 37, by: 37) {
            let page = try api.get("/instruments/list?limit=37&exchange=NFO&offset=\(offset)")
            #expect(page.status == 200)
            #expect(page.total == byCursor.count)
            byOffset += page.tokens
        }
        #expect(byOffset == byCursor)
    }

    @Test func offsetPageHandsOutACursorThatContinuesFromIt() throws {
        let all = APIFixtures.expectedTokens(CatalogFilter(activity: .any), in: catalog)
        let first = try api.get("/instruments/list?active=any&offset=1234&limit=1000")
        #expect(first.tokens.isEmpty && first.total == all.count && first.nextCursor == nil)
        let middle = try api.get("/instruments/list?active=any&offset=100&limit=20")
        let next = try api.get("/instruments/list?active=any&limit=20&cursor=\(try #require(middle.nextCursor))")
        #expect(middle.tokens + next.tokens == Array(all[100..<140]))
    }

    @Test(arguments: [
        ("exchange=NSE", CatalogFilter(exchange: "NSE")),
        ("segment=NFO-CE", CatalogFilter(segment: "NFO-CE")),
        ("type=FUT&exchange=MCX", CatalogFilter(exchange: "MCX", instrumentType: "FUT")),
        ("q=nifty", CatalogFilter(query: "nifty")),
        ("q=TATA%20%22MOTORS%22", CatalogFilter(query: "TATA \"MOTORS\"")),
        ("active=false", CatalogFilter(activity: .delisted)),
        ("active=any", CatalogFilter(activity: .any)),
        ("active=true&type=EQ", CatalogFilter(instrumentType: "EQ")),
        ("expiry_from=2026-11-26&expiry_to=2026-11-30",
         CatalogFilter(expiryFrom: CalendarDay(year: 2026, month: 11, day: 26), expiryTo: CalendarDay(year: 2026, month: 11, day: 30))),
        ("expiry_to=2026-11-24&active=any", CatalogFilter(activity: .any, expiryTo: CalendarDay(year: 2026, month: 11, day: 24))),
        ("expiry_from=2026-12-01&expiry_to=2026-11-01", CatalogFilter(expiryFrom: CalendarDay(year: 2026, month: 12, day: 1),
                                                                      expiryTo: CalendarDay(year: 2026, month: 11, day: 1))),
        ("exchange=XXX", CatalogFilter(exchange: "XXX")),
    ])
    func filtersSelectWhatTheCatalogFilterMatches(query: String, filter: CatalogFilter) throws {
        let pages = try api.allPages("\(query)&limit=40")
        let expected = APIFixtures.expectedTokens(filter, in: catalog)
        #expect(pages.flatMap(\.tokens) == expected)
        #expect(pages.allSatisfy { $0.total == expected.count })
    }

    @Test func itemsCarryTheKiteFieldsAndTheLifecycle() throws {
        let page = try api.get("/instruments/list?active=false&type=CE&limit=1")
        let item = try #require(page.items.first)
        #expect(Set(item.keys) == [
            "instrument_token", "exchange_token", "tradingsymbol", "name", "expiry", "strike", "tick_size", "lot_size",
            "instrument_type", "segment", "exchange", "active", "listed_at", "updated_at", "delisted_at",
        ])
        let token = try #require(item["instrument_token"] as? Int)
        let record = try #require(catalog.instrument(token: UInt32(token)))
        #expect(item["tradingsymbol"] as? String == record.instrument.tradingSymbol)
        #expect(item["expiry"] as? String == record.instrument.expiry?.description)
        #expect(item["strike"] as? Double == record.instrument.strike)
        #expect(item["active"] as? Bool == false)
        // Exact decimal text on the wire; Double only approximates nanoseconds this far from the epoch.
        #expect(abs(try #require(item["listed_at"] as? Double) - record.listedTime.seconds) < 1e-6)
        #expect(abs(try #require(item["delisted_at"] as? Double) - (record.delistedTime?.seconds ?? 0)) < 1e-6)
        let active = try #require(try api.get("/instruments/list?type=EQ&limit=1").items.first)
        #expect(active["delisted_at"] is NSNull)
        #expect(active["expiry"] is NSNull)
    }

    @Test(arguments: [
        ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=abc", "limit"), ("limit=-1", "limit"), ("limit=", "limit"),
        ("limit=%2B5", "limit"), ("expiry_from=2026-13-01", "expiry_from"), ("expiry_from=2026-02-30", "expiry_from"),
        ("expiry_to=26-11-2026", "expiry_to"), ("active=yes", "active"), ("active=", "active"), ("exchnage=NSE", "exchnage"),
        ("offset=-3", "offset"), ("offset=x", "offset"), ("offset=1000000001", "offset"), ("offset=10&cursor=abc", "cursor"),
        ("cursor=!!!", "cursor"), ("cursor=AQ", "cursor"), ("limit=5&limit=6", "limit"),
    ])
    func invalidListParametersAre400NamingTheParameter(query: String, parameter: String) throws {
        let response = try api.get("/instruments/list?\(query)")
        #expect(response.status == 400)
        #expect(response.errorCode != nil)
        #expect(response.errorMessage.contains(parameter))
    }

    @Test func cursorIntoASnapshotNoLongerKeptIs410() throws {
        let ticks = Locked<Int64>(0)
        let catalog = try APIFixtures.makeCatalog(retainedSnapshots: 1, cursorLifetime: .seconds(1), clock: {
            ticks.withLock { $0 += 10_000_000_000; return Timestamp(nanoseconds: $0) }
        })
        let api = InProcessAPI(catalog)
        let cursor = try #require(try api.get("/instruments/list?limit=5").nextCursor)
        catalog.publish(through: 1_000)
        catalog.publish(through: 1_001)
        let response = try api.get("/instruments/list?limit=5&cursor=\(cursor)")
        #expect(response.status == 410)
        #expect(response.errorCode == "cursor_expired")
        #expect(response.errorMessage.contains("cursor"))
    }

    // MARK: rendered pages

    @Test func aRepeatedPageIsTheSameBytesUntilTheCatalogPublishesAgain() throws {
        let query = "/instruments/list?exchange=NSE&limit=5"
        let first = try api.get(query)
        #expect(try api.get(query).body == first.body)
        // The same parameters in another order are the same question.
        #expect(try api.get("/instruments/list?limit=5&exchange=NSE").body == first.body)

        let token = try #require(first.tokens.first)
        try catalog.apply(LogEntry(offset: 334, time: Timestamp(seconds: 1_790_001_000), event: .instrumentDelisted(token: UInt32(token))))
        catalog.publish(through: 335)
        let after = try api.get(query)
        #expect(after.object["as_of_offset"] as? Int == 335)
        #expect(!after.tokens.contains(token))
        #expect(after.tokens.dropLast() == first.tokens.dropFirst())
    }

    @Test func aRepeatedPageKeepsTheCursorItHandsOutAlive() throws {
        let now = Locked<Int64>(0)
        let catalog = try APIFixtures.makeCatalog(retainedSnapshots: 1, cursorLifetime: .seconds(300), clock: {
            Timestamp(nanoseconds: now.withLock { $0 })
        })
        let api = InProcessAPI(catalog)
        let page = try api.get("/instruments/list?limit=5")
        now.withLock { $0 = 200_000_000_000 }
        #expect(try api.get("/instruments/list?limit=5").body == page.body)
        // 400 s after the first answer but 200 s after the repeat: the snapshot is kept for the cursor both handed out.
        now.withLock { $0 = 400_000_000_000 }
        catalog.publish(through: 1_000)
        let next = try api.get("/instruments/list?limit=5&cursor=\(try #require(page.nextCursor))")
        #expect(next.status == 200)
        #expect(next.tokens.count == 5)
    }

    // MARK: stats

    @Test func statsAreTheCatalogCountsWithSortedKeys() throws {
        let response = try api.get("/instruments/stats")
        let stats = catalog.stats(today: APIFixtures.today)
        let object = response.object
        #expect(response.status == 200)
        #expect(object["total_active"] as? Int == stats.totalActive)
        #expect(object["by_exchange"] as? [String: Int] == stats.byExchange)
        #expect(object["by_segment"] as? [String: Int] == stats.bySegment)
        #expect(object["by_type"] as? [String: Int] == stats.byInstrumentType)
        #expect(object["expiring_today"] as? Int == stats.expiringToday)
        #expect(object["expiring_this_week"] as? Int == stats.expiringThisWeek)
        #expect(object["today"] as? String == "2026-11-26")
        #expect(object["as_of_offset"] as? Int == Int(stats.asOfOffset))
        #expect(stats.expiringToday > 0 && stats.expiringThisWeek > stats.expiringToday)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains(#""by_exchange":{"BSE":"#))
        #expect(text.contains(#""by_type":{"CE":"#))
    }

    @Test func statsRefuseQueryParameters() throws {
        #expect(try api.get("/instruments/stats?exchange=NSE").status == 400)
    }

    // MARK: search

    @Test func searchRanksAsTheCatalogDoes() throws {
        let response = try api.get("/instruments/search?q=nifty")
        let expected = catalog.search("nifty", limit: 30).map { Int($0.token) }
        #expect(response.status == 200)
        #expect(!expected.isEmpty && expected.count <= 30)
        #expect(response.tokens == expected)
        #expect(try api.get("/instruments/search?q=nifty&limit=3").tokens == Array(expected.prefix(3)))
        #expect(try api.get("/instruments/search?q=nothing-like-this").tokens.isEmpty)
    }

    @Test(arguments: [
        ("", "q"), ("?q=", "q"), ("?limit=5", "q"), ("?q=tcs&limit=0", "limit"), ("?q=tcs&limit=101", "limit"), ("?q=tcs&page=2", "page"),
    ])
    func invalidSearchParametersAre400NamingTheParameter(query: String, parameter: String) throws {
        let response = try api.get("/instruments/search\(query)")
        #expect(response.status == 400)
        #expect(response.errorMessage.contains(parameter))
    }

    // MARK: look-up

    @Test func lookUpAnswersActiveAndDelistedInstruments() throws {
        let active = try api.get("/instruments/1001")
        #expect(active.status == 200)
        #expect(active.object["instrument_token"] as? Int == 1001)
        #expect(active.object["active"] as? Bool == true)
        let delisted = try api.get("/instruments/1009")
        #expect(delisted.object["active"] as? Bool == false)
        #expect(delisted.object["delisted_at"] is Double)
    }

    @Test func unknownTokenIs404InTheErrorEnvelope() throws {
        let response = try api.get("/instruments/77")
        #expect(response.status == 404)
        #expect(response.errorCode == "not_found")
        #expect(response.errorMessage.contains("77"))
    }

    @Test(arguments: ["abc", "-1", "4294967296", "12.5", "%2B12", "NSE%3AINFY"])
    func nonNumericTokenIs400(token: String) throws {
        let response = try api.get("/instruments/\(token)")
        #expect(response.status == 400)
        #expect(response.errorCode == "invalid_parameter")
        #expect(response.errorMessage.contains("token"))
    }

    // MARK: CORS

    @Test(arguments: [
        "/instruments/list", "/instruments/list?limit=0", "/instruments/stats", "/instruments/search?q=tcs",
        "/instruments/1001", "/instruments/77", "/openapi.json",
    ])
    func readEndpointsAllowAnyOrigin(target: String) throws {
        #expect(try api.get(target).headers["Access-Control-Allow-Origin"] == "*")
    }

    // MARK: fuzz

    /// Random values (any bytes, percent-encoded) for every parameter, as schemathesis will send.
    @Test(arguments: [1 as UInt64, 2, 3])
    func randomParameterValuesGetADocumentedStatusAndValidJSON(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let alphabet = Array("aZ09-_.:~ %+&=?/\"{}\u{0}\u{7f}éनि🙂".unicodeScalars)
        func randomValue() -> String {
            let scalars = (0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            var text = String(String.UnicodeScalarView(scalars))
            if Bool.random(using: &random) { text = String(Int.random(in: -5...2_000, using: &random)) }
            return text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }
        let endpoints: [(String, [String], Set<Int>)] = [
            ("/instruments/list", ["exchange", "segment", "type", "q", "active", "expiry_from", "expiry_to", "limit", "cursor", "offset"], [200, 400, 410]),
            ("/instruments/search", ["q", "limit"], [200, 400]),
            ("/instruments/stats", [], [200, 400]),
        ]
        for _ in 0..<300 {
            let (path, names, statuses) = endpoints.randomElement(using: &random)!
            let query = names.filter { _ in Bool.random(using: &random) }.map { "\($0)=\(randomValue())" }.joined(separator: "&")
            let response = try api.get("\(path)?\(query)")
            #expect(statuses.contains(response.status), "\(path)?\(query)")
        }
        for _ in 0..<100 {
            let response = try api.get("/instruments/\(randomValue())")
            #expect([200, 400, 404].contains(response.status))
        }
    }
}
