import EventLog
import Foundation
import Testing
@testable import Gateway

/// `/ws/v2` against a real server: session isolation, ordering, snapshots, errors, auth and backpressure.
@Suite struct StreamHubTests {
    /// With `behindAt` 1 the hub counts as behind on every read, and every message goes through the
    /// connections' queues and the event loops instead of being written by the hub.
    @Test(arguments: [StreamHub.Settings().behindAt, 1])
    func sessionsReceiveExactlyTheirOwnTokensInLogOrder(behindAt: Int) throws {
        let fixture = try StreamingFixture { $0.streaming.behindAt = behindAt }
        let a = try fixture.connect(), b = try fixture.connect()
        #expect(try a.subscribe([101, 102])["type"] as? String == "subscribed")
        #expect(try b.subscribe([102, 103])["type"] as? String == "subscribed")

        let tokens: [UInt32] = (0..<600).map { [101, 102, 103, 104][$0 % 4] }
        let offsets = try fixture.appendTicks(tokens)
        let expectedA = zip(tokens, offsets).filter { [101, 102].contains($0.0) }
        let expectedB = zip(tokens, offsets).filter { [102, 103].contains($0.0) }
        try a.readTicks(through: expectedA.last!.1)
        try b.readTicks(through: expectedB.last!.1)
        #expect(a.ticks.map(\.offset) == expectedA.map(\.1))
        #expect(a.ticks.map(\.token) == expectedA.map(\.0))
        #expect(b.ticks.map(\.offset) == expectedB.map(\.1))
        #expect(b.ticks.map(\.token) == expectedB.map(\.0))
    }

    @Test func unsubscribeStopsDeliveryOfThatTokenOnly() throws {
        let fixture = try StreamingFixture()
        let client = try fixture.connect()
        _ = try client.subscribe([101, 102])
        try client.send(#"{"action":"unsubscribe","tokens":[101,109]}"#)
        let answer = try client.next()
        #expect(answer["type"] as? String == "unsubscribed")
        #expect(answer["tokens"] as? [Int] == [101])
        let offsets = try fixture.appendTicks([101, 102, 101, 102])
        try client.readTicks(through: offsets[3])
        #expect(client.ticks.map(\.token) == [102, 102])
    }

    @Test func aReconnectedClientStartsWithNoSubscriptions() throws {
        let fixture = try StreamingFixture()
        do {
            let first = try fixture.connect()
            _ = try first.subscribe([101])
        }
        let second = try fixture.connect()
        try fixture.appendTicks([101, 101])
        fixture.waitUntilDelivered()
        // Any tick for this session would have been queued before the pong.
        try second.send(#"{"action":"ping"}"#)
        #expect(try second.nextMessage()["type"] as? String == "pong")
        #expect(second.ticks.isEmpty)
    }

    @Test func aNewSubscriberGetsTheLatestTickAsASnapshotFirst() throws {
        let fixture = try StreamingFixture()
        let offsets = try fixture.appendTicks([105, 106, 105])
        fixture.waitUntilDelivered()
        let client = try fixture.connect()
        let subscribed = try client.subscribe([105, 106, 107], mode: "full")
        #expect(subscribed["tokens"] as? [Int] == [105, 106, 107])
        #expect(subscribed["mode"] as? String == "full")
        let snapshot = try client.next()
        #expect(snapshot["type"] as? String == "snapshot")
        let data = try #require(snapshot["data"] as? [[String: Any]])
        #expect(data.map { $0["token"] as? Int } == [105, 106])
        #expect(data.map { $0["offset"] as? Int } == [Int(offsets[2]), Int(offsets[1])])
        #expect(data.first?["price"] as? Double == 100.10)
    }

    @Test(arguments: [
        (#"{"action":"dance"}"#, "unknown_action"),
        (#"not json"#, "invalid_json"),
        (#"{"action":"subscribe","tokens":[]}"#, "invalid_tokens"),
        (#"{"action":"subscribe","tokens":[true]}"#, "invalid_tokens"),
        (#"{"action":"subscribe","tokens":[1.5]}"#, "invalid_tokens"),
        (#"{"action":"subscribe","tokens":[101],"mode":"loud"}"#, "invalid_mode"),
        (#"{"action":"subscribe","tokens":[999999]}"#, "unknown_token"),
    ])
    func badMessagesGetAnErrorAndTheSessionStaysOpen(message: String, code: String) throws {
        let fixture = try StreamingFixture()
        let client = try fixture.connect()
        try client.send(message)
        let error = try client.next()
        #expect(error["type"] as? String == "error")
        #expect(error["code"] as? String == code)
        try client.send(#"{"action":"ping"}"#)
        #expect(try client.next()["type"] as? String == "pong")
    }

    @Test func tokensPastTheSessionLimitAreRefused() throws {
        let fixture = try StreamingFixture { $0.streaming.maxTokensPerSession = 3 }
        let client = try fixture.connect()
        try client.send(#"{"action":"subscribe","tokens":[101,102,103,104,105]}"#)
        let error = try client.next()
        #expect(error["code"] as? String == "too_many_tokens")
        let subscribed = try client.next()
        #expect(subscribed["tokens"] as? [Int] == [101, 102, 103])
    }

    @Test func aKeyIsRequiredWhenAuthIsOn() throws {
        let fixture = try StreamingFixture()
        let client = try TestClient(port: fixture.port)
        #expect(try client.upgrade(path: "/ws/v2").status == 401)
        let wrong = try TestClient(port: fixture.port)
        #expect(try wrong.upgrade(path: "/ws/v2?api_key=nope").status == 401)
        let admin = try TestClient(port: fixture.port)
        #expect(try admin.upgrade(path: "/ws/v2?api_key=\(StreamingFixture.adminKey)").status == 101)
    }

    @Test func sessionsAndSubscriptionsAreFoldedFromTheLog() throws {
        let fixture = try StreamingFixture()
        let client = try fixture.connect()
        _ = try client.subscribe([101, 102], mode: "quote")
        #expect(eventually { fixture.server.sessions.snapshot.sessions.values.contains { $0.subscriptions == [101: "quote", 102: "quote"] } })
        let session = try #require(fixture.server.sessions.snapshot.sessions.values.first)
        #expect(session.protocolName == "v2")
        #expect(session.userID != nil)
        try client.raw.sendFrame(.close, [0x03, 0xE8])
        #expect(eventually { fixture.server.sessions.snapshot.sessions.isEmpty })
    }

    @Test func aStalledReaderIsConflatedThenClosedWhileAFastReaderMissesNothing() throws {
        let fixture = try StreamingFixture {
            $0.outboundQueueBytes = 256 << 10
            $0.streaming.patience = .milliseconds(300)
        }
        let fast = try fixture.connect(), stalled = try fixture.connect()
        _ = try fast.subscribe([101])
        _ = try stalled.subscribe([101])

        // The writer waits for the fast reader after each batch: it keeps up by construction,
        // while the stalled one never reads and overflows its socket buffers and queue.
        var expected: [UInt64] = []
        var batches = 0
        while fixture.server.hub.totals.closedSlow == 0 {
            let offsets = try fixture.appendTicks(Array(repeating: 101, count: 1_000))
            expected += offsets
            try fast.readTicks(through: offsets.last!)
            batches += 1
            try #require(batches < 2_000, "the stalled session was never closed")
        }
        #expect(fast.ticks.map(\.offset) == expected)
        let totals = fixture.server.hub.totals
        #expect(totals.conflated > 0)
        #expect(totals.dropped > 0)
        let http = try TestClient(port: fixture.port)
        try http.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let metrics = try http.readResponse().text
        #expect(metrics.contains("tape_ws_sessions_closed_slow_total 1\n"))
        #expect(metrics.contains("tape_ws_ticks_conflated_total \(totals.conflated)\n"))
        #expect(metrics.contains("tape_ws_session_ticks_delivered_total{session="))

        // The stalled client finds the close frame (1008) after the ticks queued before it.
        var closeCode: UInt16?
        while closeCode == nil {
            let frame = try stalled.raw.readFrame()
            if frame.opcode == .close { closeCode = WebSocketServerTests.closeCode(of: frame) }
        }
        #expect(closeCode == 1008)
    }
}
