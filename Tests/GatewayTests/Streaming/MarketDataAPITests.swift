import EventLog
import Foundation
import Testing
@testable import Gateway

/// `GET /quotes`, `GET /candles` and the quote fields of `/ws/v2`, against a real server.
@Suite struct MarketDataAPITests {
    @Test func quotesCarryTheLastTickAndTheDay() throws {
        let fixture = try StreamingFixture()
        try fixture.appendTicks([101, 102, 101, 101])
        fixture.waitUntilFolded()
        let (status, json) = try fixture.get("/quotes?tokens=101,102,103")
        #expect(status == 200)
        let items = try #require(json["items"] as? [[String: Any]])
        #expect(items.map { $0["token"] as? Int } == [101, 102])
        let first = items[0]
        #expect(first["price"] as? Double == 100.15)
        #expect(first["open"] as? Double == 100.00)
        #expect(first["high"] as? Double == 100.15)
        #expect(first["low"] as? Double == 100.00)
        #expect(first["close"] as? Double == 100.15)
        #expect(first["change"] as? Double == 0.15)
        #expect(first["day_volume"] as? Int == 8)
        #expect(first["volume"] as? Int == 4)
        #expect(first["day"] as? String == "2025-11-28")
        #expect(json["missing"] as? [Int] == [103])
    }

    @Test func candlesAreBucketedInUTCWithTheOpenBarVisible() throws {
        let fixture = try StreamingFixture()
        try fixture.appendTicks([101, 102, 101, 101])
        fixture.waitUntilFolded()
        let (status, json) = try fixture.get("/candles?token=101&resolution=1m")
        #expect(status == 200)
        let bars = try #require(json["items"] as? [[String: Any]])
        #expect(bars.count == 1)
        #expect(bars.first?["time"] as? Int == 1_764_300_000 / 60 * 60)
        #expect(bars.first?["open"] as? Double == 100.00)
        #expect(bars.first?["high"] as? Double == 100.15)
        #expect(bars.first?["close"] as? Double == 100.15)
        #expect(bars.first?["volume"] as? Int == 8)
        #expect(json["resolution"] as? String == "1m")
        let daily = try fixture.get("/candles?token=101&resolution=D&from=0&to=4000000000&limit=5")
        #expect((daily.json["items"] as? [[String: Any]])?.first?["time"] as? Int == 1_764_300_000 / 86_400 * 86_400)
        #expect(daily.json["resolution"] as? String == "1D")
    }

    @Test func aRangeEndingBeforeItStartsHasNoBars() throws {
        let fixture = try StreamingFixture()
        try fixture.appendTicks([101, 101])
        fixture.waitUntilFolded()
        let all = try fixture.get("/candles?token=101&resolution=1m&from=0")
        #expect((all.json["items"] as? [[String: Any]])?.count == 1)
        let reversed = try fixture.get("/candles?token=101&resolution=1m&from=1764400000&to=1764200000")
        #expect(reversed.status == 200)
        #expect((reversed.json["items"] as? [[String: Any]])?.isEmpty == true)
    }

    @Test(arguments: [
        ("/quotes", 400), ("/quotes?tokens=", 400), ("/quotes?tokens=1,x", 400), ("/quotes?tokens=1&sort=asc", 400),
        ("/quotes?tokens=" + (1...501).map(String.init).joined(separator: ","), 400),
        ("/candles?resolution=1m", 400), ("/candles?token=101", 400), ("/candles?token=101&resolution=2m", 400),
        ("/candles?token=101&resolution=1m&limit=0", 400),
        ("/candles?token=999999&resolution=1m", 404), ("/candles?token=105&resolution=1h", 200),
    ])
    func badRequestsAreRefusedWithTheirStatus(target: String, status: Int) throws {
        let fixture = try StreamingFixture()
        let answer = try fixture.get(target)
        #expect(answer.status == status)
        if status != 200 { #expect((answer.json["error"] as? [String: Any])?["code"] != nil) }
    }

    @Test func quoteModeTicksCarryTheDayFields() throws {
        let fixture = try StreamingFixture()
        let client = try fixture.connect()
        _ = try client.subscribe([101], mode: "quote")
        let offsets = try fixture.appendTicks([101, 101])
        var tick: [String: Any] = [:]
        while (tick["offset"] as? Int).map(UInt64.init) != offsets[1] {
            let message = try client.nextMessage()
            tick = (message["data"] as? [[String: Any]])?.last ?? [:]
        }
        #expect(tick["open"] as? Double == 100.00)
        #expect(tick["high"] as? Double == 100.05)
        #expect(tick["close"] as? Double == 100.05)
        #expect(tick["day_volume"] as? Int == 3)
        #expect(tick["change"] as? Double == 0.05)
    }
}
