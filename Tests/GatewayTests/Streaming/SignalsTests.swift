import EventLog
import Foundation
import Testing
@testable import Gateway

/// ML signals: `POST /signals`, `GET /signals`, the push to subscribed `/ws/v2` sessions, chart marks.
@Suite struct SignalsTests {
    static func post(_ fixture: StreamingFixture, _ body: String, key: String?) throws -> (Int, [String: Any]) {
        let client = try TestClient(port: fixture.port)
        var head = "POST /signals HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(body.utf8.count)\r\n"
        if let key { head += "X-API-Key: \(key)\r\n" }
        try client.send(head + "\r\n" + body)
        let response = try client.readResponse()
        return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:])
    }

    @Test func signalTimesOutside1970To2100AreRefusedAndTheServerKeepsServing() throws {
        let fixture = try StreamingFixture()
        for time in ["-8999999998.999998", "8999999999.999998", "-1", "4102444800"] {
            let body = #"[{"model":"m","token":101,"value":0,"time":\#(time)}]"#
            let (status, answer) = try Self.post(fixture, body, key: fixture.userKey)
            #expect(status == 422, "time \(time)")
            #expect(((answer["rejected"] as? [[String: Any]])?.first?["error"] as? String)?.contains("time must be") == true)
        }
        let (status, answer) = try Self.post(fixture, #"{"model":"m","token":101,"value":0,"time":4102444799}"#, key: fixture.userKey)
        #expect(status == 200)
        #expect(answer["accepted"] as? Int == 1)
        #expect(try Self.post(fixture, #"{"model":"m","token":101,"value":0,"time":0}"#, key: fixture.userKey).0 == 200)
    }

    @Test func signalsArePublishedListedPushedAndMarked() throws {
        let fixture = try StreamingFixture()
        let subscriber = try fixture.connect(), other = try fixture.connect()
        _ = try subscriber.subscribe([101])
        _ = try other.subscribe([102])
        let batch = #"""
            [{"model":"lstm","token":101,"time":1764300060,"value":0.8,"label":"buy","confidence":0.9},
             {"model":"lstm","token":101,"time":1764300000,"value":-0.2},
             {"model":"","token":101,"value":1},
             {"model":"gbm","token":424242,"value":1},
             {"model":"gbm","token":101,"value":"high"},
             {"model":"gbm","token":101,"value":1,"confidence":2},
             {"model":"gbm","token":101,"value":1,"colour":"red"}]
            """#
        #expect(try Self.post(fixture, batch, key: nil).0 == 401)
        let (status, answer) = try Self.post(fixture, batch, key: fixture.userKey)
        #expect(status == 200)
        #expect(answer["accepted"] as? Int == 2)
        #expect((answer["rejected"] as? [[String: Any]])?.map { $0["index"] as? Int } == [2, 3, 4, 5, 6])
        #expect(try Self.post(fixture, #"[{"model":"x","token":1,"value":1}]"#, key: fixture.userKey).0 == 422)

        var pushed: [String: Any] = [:]
        while pushed["type"] as? String != "signal" { pushed = try subscriber.nextMessage() }
        #expect((pushed["data"] as? [String: Any])?["label"] as? String == "buy")
        try other.send(#"{"action":"ping"}"#)
        #expect(try other.nextMessage()["type"] as? String == "pong")

        #expect(fixture.server.signalsRunner.waitUntilApplied(before: fixture.server.log.acceptedEnd, timeout: .seconds(10)))
        let listed = try fixture.get("/signals?token=101&model=lstm")
        let items = try #require(listed.json["items"] as? [[String: Any]])
        #expect(items.map { $0["value"] as? Double } == [-0.2, 0.8])   // in time order
        #expect(try fixture.get("/signals?token=101&from=1764300030").json["items"].map { ($0 as? [Any])?.count } == 1)
        #expect(try fixture.get("/signals").status == 400)

        let marks = try UDFAPITests.getAny(fixture, "/udf/marks?symbol=NSE:SYM101&from=0&to=4000000000&resolution=1") as? [[String: Any]]
        #expect(marks?.map { $0["label"] as? String } == ["S", "S"])
        #expect(marks?.map { $0["time"] as? Int } == [1_764_300_000, 1_764_300_060])
    }
}
