import EventLog
import Foundation
import Testing
@testable import Gateway

/// The TradingView UDF datafeed against a real server (instruments NSE:SYM101…SYM110, tick 0.05).
@Suite struct UDFAPITests {
    static func getAny(_ fixture: StreamingFixture, _ target: String) throws -> Any {
        let client = try TestClient(port: fixture.port)
        try client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200, "\(target)")
        #expect(response.headers["Access-Control-Allow-Origin"] == "*")
        return try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
    }

    @Test(arguments: [(0.05, 100, 5), (0.0025, 10_000, 25), (1.0, 1, 1), (0.01, 100, 1), (0.5, 10, 5), (0.0000001, 10_000_000, 1)])
    func priceScaleAndMinimumMoveComeFromTheTickSize(tick: Double, pricescale: Int, minmov: Int) {
        let format = UDFAPI.priceFormat(tickSize: tick)
        #expect(format.pricescale == pricescale)
        #expect(format.minmov == minmov)
    }

    /// A tick size no import accepts any more, but an older log may hold: the default format, not a crash
    /// (1e300 once trapped converting to Int and took the server down on `GET /udf/symbols`).
    @Test(arguments: [1e300, 1e9, -0.05, 0, .nan, .infinity])
    func aTickSizeThatIsNotAnAmountGetsTheDefaultFormat(tick: Double) {
        let format = UDFAPI.priceFormat(tickSize: tick)
        #expect(format.pricescale == 100)
        #expect(format.minmov == 1)
    }

    /// An instrument that an older log holds with amounts no import accepts any more, and an expiry past
    /// what a timestamp holds: its symbol and marks still answer.
    @Test func anInstrumentWithImpossibleFieldsFromAnOlderLogStillAnswers() throws {
        let fixture = try StreamingFixture()
        try fixture.server.log.append([Record(time: Timestamp.now(), event: .instrumentListed(Instrument(
            token: 777, exchangeToken: 777, tradingSymbol: "OLDAMOUNTS", name: "Old", expiry: CalendarDay(iso: "9999-12-31"), strike: 1e300,
            tickSize: 1e300, lotSize: 1, instrumentType: "CE", segment: "NFO-OPT", exchange: "NFO")))])
        #expect(fixture.server.catalogRunner.waitUntilApplied(before: fixture.server.log.acceptedEnd, timeout: .seconds(10)))
        let symbol = try #require(try Self.getAny(fixture, "/udf/symbols?symbol=NFO:OLDAMOUNTS") as? [String: Any])
        #expect(symbol["pricescale"] as? Int == 100)
        #expect(symbol["minmov"] as? Int == 1)
        // An expiry past 2262 (also once a crash) shows as the last day a timestamp holds, 2262-04-11.
        #expect(symbol["expiration_date"] as? Int == 9_223_286_400)
        let marks = try #require(try Self.getAny(fixture, "/udf/timescale_marks?symbol=NFO:OLDAMOUNTS") as? [[String: Any]])
        #expect(marks.contains { $0["time"] as? Int == 9_223_286_400 })
    }

    @Test func configAndTimeAndSymbols() throws {
        let fixture = try StreamingFixture()
        let config = try #require(try Self.getAny(fixture, "/udf/config") as? [String: Any])
        #expect(config["supported_resolutions"] as? [String] == ["1", "5", "15", "60", "1D"])
        #expect(config["supports_search"] as? Bool == true)
        #expect(config["supports_group_request"] as? Bool == false)
        let time = try #require(try Self.getAny(fixture, "/udf/time") as? Int)
        #expect(abs(time - Int(Date().timeIntervalSince1970)) < 60)

        let symbol = try #require(try Self.getAny(fixture, "/udf/symbols?symbol=NSE:SYM101") as? [String: Any])
        #expect(symbol["name"] as? String == "SYM101")
        #expect(symbol["ticker"] as? String == "NSE:SYM101")
        #expect(symbol["pricescale"] as? Int == 100)
        #expect(symbol["minmov"] as? Int == 5)
        #expect(symbol["session"] as? String == "0915-1530")
        #expect(symbol["timezone"] as? String == "Asia/Kolkata")
        #expect(symbol["type"] as? String == "stock")
        let bare = try #require(try Self.getAny(fixture, "/udf/symbols?symbol=SYM102") as? [String: Any])
        #expect(bare["ticker"] as? String == "NSE:SYM102")
        for unknown in ["NSE:NOPE", "BSE:SYM101", ""] {
            let answer = try #require(try Self.getAny(fixture, "/udf/symbols?symbol=\(unknown)") as? [String: Any])
            #expect(answer["s"] as? String == "error")
            #expect(answer["errmsg"] as? String == "unknown_symbol")
        }
        let found = try #require(try Self.getAny(fixture, "/udf/search?query=SYM10&limit=3") as? [[String: Any]])
        #expect(found.count == 3)
        #expect(found.first?["ticker"] as? String == "NSE:SYM101")
        #expect((try Self.getAny(fixture, "/udf/search?query=ZZZ&limit=3") as? [Any])?.isEmpty == true)
    }

    @Test func historyHonoursRangeCountbackAndNoData() throws {
        let fixture = try StreamingFixture()
        // Ticks i = 0…9 at 1764300000 + 30 s·(i+1): bar base holds i=0, bar base+60k holds i=2k-1 and 2k.
        try fixture.appendTicks(Array(repeating: 101, count: 10), step: .seconds(30))
        fixture.waitUntilFolded()
        let base = 1_764_300_000 / 60 * 60
        let range = try #require(try Self.getAny(fixture, "/udf/history?symbol=NSE:SYM101&resolution=1&from=\(base)&to=\(base + 180)") as? [String: Any])
        #expect(range["s"] as? String == "ok")
        #expect(range["t"] as? [Int] == [base, base + 60, base + 120])
        let back = try #require(try Self.getAny(fixture, "/udf/history?symbol=NSE:SYM101&resolution=1&from=0&to=\(base + 240)&countback=2") as? [String: Any])
        #expect(back["t"] as? [Int] == [base + 120, base + 180])
        #expect(back["o"] as? [Double] == [100.15, 100.25])
        #expect(back["c"] as? [Double] == [100.20, 100.30])
        #expect(back["v"] as? [Int] == [4 + 5, 6 + 7])
        for daily in ["D", "1D"] {
            let day = try #require(try Self.getAny(fixture, "/udf/history?symbol=NSE:SYM101&resolution=\(daily)&from=0&to=2000000000") as? [String: Any])
            #expect(day["t"] as? [Int] == [1_764_300_000 / 86_400 * 86_400])
        }
        let none = try #require(try Self.getAny(fixture, "/udf/history?symbol=NSE:SYM101&resolution=1&from=0&to=1000") as? [String: Any])
        #expect(none["s"] as? String == "no_data")
        let weekly = try #require(try Self.getAny(fixture, "/udf/history?symbol=NSE:SYM101&resolution=1W&from=0&to=2000000000") as? [String: Any])
        #expect(weekly["s"] as? String == "error")
    }

    @Test func quotesAndTimescaleMarks() throws {
        let fixture = try StreamingFixture()
        try fixture.appendTicks([101, 101])
        fixture.waitUntilFolded()
        let quotes = try #require(try Self.getAny(fixture, "/udf/quotes?symbols=NSE:SYM101,NSE:NOPE") as? [String: Any])
        let items = try #require(quotes["d"] as? [[String: Any]])
        #expect(items.map { $0["s"] as? String } == ["ok", "error"])
        #expect(items.map { $0["n"] as? String } == ["NSE:SYM101", "NSE:NOPE"])
        let values = try #require(items[0]["v"] as? [String: Any])
        #expect(values["lp"] as? Double == 100.05)
        #expect(values["volume"] as? Int == 3)
        let marks = try #require(try Self.getAny(fixture, "/udf/timescale_marks?symbol=NSE:SYM101&from=0&to=2000000000&resolution=1D") as? [[String: Any]])
        #expect(marks.map { $0["label"] as? String } == ["L"])
    }
}
