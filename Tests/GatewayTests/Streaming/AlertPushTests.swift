import EventLog
import Foundation
import Testing
@testable import Gateway

/// Alert firings reach their owner's `/ws/v2` sessions and the chart's marks, and no one else's.
@Suite struct AlertPushTests {
    static func createAlert(_ fixture: StreamingFixture, key: String, body: String) throws -> TestResponse {
        let client = try TestClient(port: fixture.port)
        try client.send("POST /alerts HTTP/1.1\r\nHost: localhost\r\nX-API-Key: \(key)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        return try client.readResponse()
    }

    @Test func aFiringIsPushedToTheOwnerAndDrawnAsAMark() throws {
        let fixture = try StreamingFixture()
        let owner = try fixture.connect()
        let stranger = try fixture.connect(key: StreamingFixture.adminKey)
        let created = try Self.createAlert(fixture, key: fixture.userKey, body: #"{"token":101,"condition":"price_above","price":100.10}"#)
        #expect(created.status == 201)
        fixture.waitUntilFolded()
        #expect(fixture.server.alertsRunner.waitUntilApplied(before: fixture.server.log.acceptedEnd, timeout: .seconds(10)))

        let offsets = try fixture.appendTicks([101, 101, 101])   // 100.00, 100.05, 100.10: the third fires
        var alert: [String: Any] = [:]
        while alert["type"] as? String != "alert" { alert = try owner.nextMessage() }
        #expect(alert["token"] as? Int == 101)
        let firing = try #require(alert["firing"] as? [String: Any])
        #expect(firing["tick_offset"] as? Int == Int(offsets[2]))
        #expect(firing["price"] as? Double == 100.10)

        // The admin's session is another user's: it gets no alert, only its pong.
        try stranger.send(#"{"action":"ping"}"#)
        #expect(try stranger.nextMessage()["type"] as? String == "pong")

        #expect(fixture.server.alertsRunner.waitUntilApplied(before: fixture.server.log.acceptedEnd, timeout: .seconds(10)))
        let marks = try TestClient(port: fixture.port)
        try marks.send("GET /udf/marks?symbol=NSE:SYM101&from=0&to=4000000000&resolution=1 HTTP/1.1\r\nHost: x\r\nX-API-Key: \(fixture.userKey)\r\n\r\n")
        let drawn = try #require(try JSONSerialization.jsonObject(with: Data(marks.readResponse().body)) as? [[String: Any]])
        #expect(drawn.count == 1)
        #expect(drawn.first?["label"] as? String == "A")
        let anonymous = try TestClient(port: fixture.port)
        try anonymous.send("GET /udf/marks?symbol=NSE:SYM101&from=0&to=4000000000&resolution=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try anonymous.readResponse().text == "[]")
    }
}
