import EventLog
import Foundation
import Testing
@testable import Gateway

/// Replay over `/ws/v2` against a real server and log: the range's ticks and signals in log order, pause,
/// resume and seek, the end message, byte-identical repeats, alerts re-evaluated for the session's user only.
@Suite struct WebSocketReplayTests {
    /// The log's entries from `offset` on, as the tests' source of truth.
    static func entries(_ fixture: StreamingFixture, from offset: UInt64 = 0) throws -> [LogEntry] {
        try fixture.server.log.makeReader().read(from: offset, limit: .max)
    }

    /// Reads until a message of `type`, collecting ticks on the way; fails on an error message.
    static func read(_ client: StreamClient, until type: String) throws -> [String: Any] {
        while true {
            let message = try client.nextMessage()
            if message["type"] as? String == type { return message }
            if message["type"] as? String == "error" { throw TestClientError(description: "unexpected error: \(message)") }
        }
    }

    static func int(_ value: Any?) -> Int? { (value as? NSNumber)?.intValue }

    @Test func aReplayDeliversExactlyTheLogsTicksAndSignalsOfItsTokensInLogOrder() throws {
        let fixture = try StreamingFixture()
        let client = try fixture.connect()
        _ = try client.subscribe([101])
        // Session events carry the server's clock, far after the fixture's tick times: keep them out of the range.
        fixture.server.journal.flush()
        let offsets = try fixture.appendTicks((0..<600).map { UInt32(101 + $0 % 5) })
        try fixture.server.log.append([Record(time: Timestamp(nanoseconds: 1_764_300_000_400_000_000),
                                              event: .signalPublished(SignalPublished(model: "m", token: 103, value: 0.5)))])
        try fixture.appendTicks((0..<600).map { UInt32(101 + $0 % 5) })
        fixture.waitUntilDelivered()
        try client.readTicks(through: offsets.last!)
        let liveSessions = fixture.server.hub.sessionCount

        let all = try Self.entries(fixture)
        let start = offsets[100]
        let stop = all.first { entry in if case .tick = entry.event { entry.offset > offsets[599] + 300 } else { false } }!
        let expected = all.filter { entry in
            guard entry.offset >= start, entry.time < stop.time else { return false }
            switch entry.event {
            case .tick(let tick): return tick.token == 101 || tick.token == 103
            case .signalPublished(let signal): return signal.token == 103
            default: return false
            }
        }
        let replay = try StreamClient(port: fixture.port)
        try #require(try replay.raw.upgrade(path: "/ws/v2?api_key=\(fixture.userKey)").status == 101)
        _ = try replay.next()
        try replay.send(#"{"action":"subscribe","tokens":[101]}"#)
        _ = try replay.next()
        try replay.send(#"{"action":"replay","from_offset":\#(start),"to":"\#(stop.time.iso8601)","tokens":[103,101]}"#)
        let started = try Self.read(replay, until: "replay_started")
        #expect(Self.int(started["from_offset"]) == Int(start))
        // The session left the hub: no live ticks reach it, even of the token it had subscribed.
        #expect(eventually { fixture.server.hub.sessionCount == liveSessions })

        var signals: [UInt64] = []
        var end: [String: Any] = [:]
        while end.isEmpty {
            let message = try replay.nextMessage()
            switch message["type"] as? String {
            case "signal": signals.append(UInt64(Self.int((message["data"] as? [String: Any])?["offset"]) ?? -1))
            case "replay_end": end = message
            case "ticks": break
            default: Issue.record("unexpected \(message)")
            }
        }
        #expect(replay.ticks.map(\.offset) == expected.compactMap { if case .tick = $0.event { $0.offset } else { nil } })
        #expect(signals == expected.compactMap { if case .signalPublished = $0.event { $0.offset } else { nil } })
        #expect(!signals.isEmpty)
        #expect(Self.int(end["events"]) == expected.count)
        #expect(Self.int(end["last_offset"]) == Int(expected.last!.offset))

        // Live ticks after the replay do not reach it.
        let later = try fixture.appendTicks([101, 103])
        fixture.waitUntilDelivered()
        try client.readTicks(through: later[0])
        try replay.send(#"{"action":"ping"}"#)
        #expect(try replay.nextMessage()["type"] as? String == "pong")
        #expect(replay.ticks.count == expected.count - signals.count)
    }

    @Test func aReplayAtMaxSpeedFitsASmallQueueAndLosesNothing() throws {
        let fixture = try StreamingFixture { $0.outboundQueueBytes = 16 << 10 }
        let offsets = try fixture.appendTicks((0..<20_000).map { UInt32(101 + $0 % 7) }, step: .microseconds(10))
        let client = try fixture.connect()
        try client.send(#"{"action":"replay","from_offset":\#(offsets[0]),"mode":"full"}"#)
        var largest = 0
        var received: [UInt64] = []
        while true {
            let payload = try client.raw.readFrame().payload
            largest = max(largest, payload.count)
            let message = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
            if message["type"] as? String == "replay_end" { break }
            for tick in message["data"] as? [[String: Any]] ?? [] where message["type"] as? String == "ticks" {
                received.append(UInt64(Self.int(tick["offset"]) ?? -1))
            }
        }
        // Messages are cut to a quarter of the queue, so each fits; the replay waited for room instead of dropping.
        #expect(largest <= 4 << 10 + 512)
        #expect(received == offsets)
    }

    /// Fifty ticks 20 ms apart (a second at speed 1), then `burst` ticks at one instant: a paced replay is
    /// still running when the client's next message arrives, and then has plenty to send at once.
    static func pacedThenBurst(_ fixture: StreamingFixture, burst: Int = 3_000) throws -> [UInt64] {
        try fixture.appendTicks(Array(repeating: 101, count: 50), step: .milliseconds(20))
            + fixture.appendTicks((0..<burst).map { UInt32(101 + $0 % 3) }, step: .zero)
    }

    /// A speed far past any useful one (1e300 once overflowed the batching window and took the server
    /// down): the replay runs as fast as "max", every tick once.
    @Test func aHugeSpeedReplaysEveryTickAsFastAsMax() throws {
        let fixture = try StreamingFixture()
        let offsets = try fixture.appendTicks((0..<50).map { UInt32(101 + $0 % 4) })
        let client = try fixture.connect()
        try client.send(#"{"action":"replay","from_offset":\#(offsets[0]),"speed":1e300}"#)
        _ = try Self.read(client, until: "replay_end")
        #expect(client.ticks.map(\.offset) == offsets)
    }

    @Test func pauseHoldsTheStreamAndResumeContinuesWithoutLossOrDuplicates() throws {
        let fixture = try StreamingFixture()
        let offsets = try Self.pacedThenBurst(fixture)
        let client = try fixture.connect()
        try client.send(#"{"action":"replay","from_offset":\#(offsets[0]),"speed":1}"#)
        _ = try Self.read(client, until: "replay_started")
        try client.send(#"{"action":"pause"}"#)
        let paused = try Self.read(client, until: "paused")
        // Everything before the ack was sent before the pause took hold; nothing follows it until resumed.
        #expect(Self.int(paused["last_offset"]).map(UInt64.init) == client.ticks.last?.offset)
        let before = client.ticks.count
        #expect(before < offsets.count)
        try client.send(#"{"action":"ping"}"#)
        #expect(try client.nextMessage()["type"] as? String == "pong")
        try client.send(#"{"action":"pause"}"#)
        #expect(try client.nextMessage()["code"] as? String == "already_paused")
        try client.send(#"{"action":"resume"}"#)
        #expect(try client.nextMessage()["type"] as? String == "resumed")
        #expect(client.ticks.count == before)
        let end = try Self.read(client, until: "replay_end")
        #expect(client.ticks.map(\.offset) == offsets)
        #expect(Self.int(end["events"]) == offsets.count)
        try client.send(#"{"action":"resume"}"#)
        #expect(try client.nextMessage()["code"] as? String == "not_paused")
        try client.send(#"{"action":"pause"}"#)
        #expect(try client.nextMessage()["code"] as? String == "replay_ended")
    }

    @Test func seekJumpsToAnOffsetOrATimeWhilePlayingOrAfterTheEnd() throws {
        let fixture = try StreamingFixture()
        let offsets = try Self.pacedThenBurst(fixture, burst: 500)
        let all = try Self.entries(fixture)
        let client = try fixture.connect()
        try client.send(#"{"action":"replay","from_offset":\#(offsets[0]),"speed":1,"tokens":[101,102,103]}"#)
        _ = try Self.read(client, until: "replay_started")
        try client.send(#"{"action":"pause"}"#)
        _ = try Self.read(client, until: "paused")

        // While paused: the seek restarts at offsets[40], still paused, and resume plays from there.
        try client.send(#"{"action":"seek","offset":\#(offsets[40])}"#)
        let restarted = try Self.read(client, until: "replay_started")
        #expect(Self.int(restarted["from_offset"]) == Int(offsets[40]))
        let held = try Self.read(client, until: "paused")
        #expect(held["last_offset"] is NSNull)
        let beforeSeek = client.ticks.count
        try client.send(#"{"action":"resume"}"#)
        let end = try Self.read(client, until: "replay_end")
        #expect(client.ticks.dropFirst(beforeSeek).map(\.offset) == Array(offsets[40...]))
        #expect(Self.int(end["events"]) == offsets.count - 40)

        // After the end: a seek to a time (Unix seconds with a fraction) plays again from the first tick at or after it.
        let target = all.first { $0.offset == offsets[45] }!.time
        let seconds = "\(target.rawValue / 1_000_000_000).\(String(format: "%09lld", target.rawValue % 1_000_000_000))"
        let afterEnd = client.ticks.count
        try client.send(#"{"action":"seek","to":\#(seconds)}"#)
        _ = try Self.read(client, until: "replay_started")
        let second = try Self.read(client, until: "replay_end")
        #expect(client.ticks.dropFirst(afterEnd).map(\.offset) == Array(offsets[45...]))
        #expect(Self.int(second["events"]) == offsets.count - 45)
    }

    @Test func theReplayThreadEndsWhenTheConnectionCloses() throws {
        let fixture = try StreamingFixture()
        let offsets = try Self.pacedThenBurst(fixture, burst: 10)
        // A slow replay (a second of ticks at speed 0.01) waits between ticks; one paused waits for resume.
        let waiting = try fixture.connect()
        try waiting.send(#"{"action":"replay","from_offset":\#(offsets[0]),"speed":0.01}"#)
        let paused = try fixture.connect()
        try paused.send(#"{"action":"replay","from_offset":\#(offsets[0]),"speed":0.01}"#)
        _ = try Self.read(paused, until: "replay_started")
        try paused.send(#"{"action":"pause"}"#)
        _ = try Self.read(paused, until: "paused")
        #expect(eventually { fixture.server.hub.replayCount == 2 })

        try waiting.raw.sendFrame(.close, WebSocketFrameEncoder.closePayload(code: .normalClosure, reason: "done"))
        #expect(eventually { fixture.server.hub.replayCount == 1 })
        // Shut down, not closed: the client closes its descriptor once, when it goes away.
        _ = shutdown(paused.raw.socket.fileDescriptor, Int32(SHUT_RDWR))
        #expect(eventually { fixture.server.hub.replayCount == 0 })
        let metrics = try TestClient(port: fixture.port)
        try metrics.send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-API-Key: \(StreamingFixture.adminKey)\r\n\r\n")
        let text = try metrics.readResponse().text
        #expect(text.contains("tape_ws_replays 0\n"))
        #expect(text.contains("tape_ws_replays_started_total 2\n"))
    }

    /// Reads frames until a `candle` message: its bytes, and the offsets of the ticks before it.
    static func readUntilCandle(_ client: StreamClient) throws -> (candle: [UInt8], ticksBefore: [UInt64]) {
        var ticks: [UInt64] = []
        while true {
            let payload = try client.raw.readFrame().payload
            let message = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
            if message["type"] as? String == "candle" { return (payload, ticks) }
            for tick in message["data"] as? [[String: Any]] ?? [] where message["type"] as? String == "ticks" {
                ticks.append(UInt64(int(tick["offset"]) ?? -1))
            }
        }
    }

    @Test func aClosedBarIsSentLiveAndInReplayAsTheSameCandleMessage() throws {
        let fixture = try StreamingFixture()
        let live = try fixture.connect()
        _ = try live.subscribe([101])
        // Minute M (the bar forming when the stream started: never sent), M+1 (sent when M+2's first tick comes).
        let first = try fixture.appendTicks([101, 101])
        let offsets = try fixture.appendTicks([101, 101, 101, 101], step: .seconds(30))   // M, M+1, M+1, M+2
        let (candle, before) = try Self.readUntilCandle(live)
        #expect(before.last == offsets[2])
        let text = String(decoding: candle, as: UTF8.self)
        #expect(text == #"{"type":"candle","data":{"token":101,"resolution":"1m","time":1764300060,"open":100.05,"high":100.1,"low":100.05,"close":100.1,"volume":5}}"#)

        // A replay from M+1 saw that bar whole: the same bytes, at the same place among the ticks.
        let replay = try fixture.connect()
        try replay.send(#"{"action":"replay","from":1764300060,"tokens":[101]}"#)
        let (replayed, replayedBefore) = try Self.readUntilCandle(replay)
        #expect(replayed == candle)
        #expect(replayedBefore == [offsets[1], offsets[2]])
        // From the first tick of M the forming bar M is not whole (nothing says no tick came before): no candle for it.
        let partial = try Self.recordReplay(fixture, #"{"action":"replay","from_offset":\#(first[1]),"tokens":[101]}"#)
        let candles = partial.map { String(decoding: $0, as: UTF8.self) }.filter { $0.hasPrefix(#"{"type":"candle""#) }
        #expect(candles == [text])
    }

    /// Every frame's payload from `replay_started` through `replay_end`, of a session with `key`.
    static func recordReplay(_ fixture: StreamingFixture, _ message: String, key: String? = nil) throws -> [[UInt8]] {
        let client = try fixture.connect(key: key)
        try client.send(message)
        var frames: [[UInt8]] = []
        while true {
            let frame = try client.raw.readFrame()
            let text = String(decoding: frame.payload, as: UTF8.self)
            // Before the replay starts the session is live, and may be pushed what the live engine fires.
            if frames.isEmpty && !text.hasPrefix(#"{"type":"replay_started""#) { continue }
            frames.append(frame.payload)
            if text.hasPrefix(#"{"type":"replay_end""#) { return frames }
        }
    }

    @Test(arguments: [#""max""#, "10"])
    func twoReplaysOfARangeAreByteIdentical(speed: String) throws {
        let fixture = try StreamingFixture()
        let created = try AlertPushTests.createAlert(fixture, key: fixture.userKey, body: #"{"token":102,"condition":"crosses_above","price":100.50,"frequency":"every"}"#)
        #expect(created.status == 201)
        #expect(fixture.server.alertsRunner.waitUntilApplied(before: fixture.server.log.acceptedEnd, timeout: .seconds(10)))
        let offsets = try fixture.appendTicks((0..<400).map { UInt32(101 + $0 % 4) })
        try fixture.server.log.append([Record(time: Timestamp(nanoseconds: 1_764_300_000_200_000_000),
                                              event: .signalPublished(SignalPublished(model: "m", token: 102, value: -1, label: "sell", confidence: 0.9)))])
        try fixture.appendTicks((0..<400).map { UInt32(101 + $0 % 4) })
        let message = #"{"action":"replay","from_offset":\#(offsets[0]),"mode":"full","speed":\#(speed)}"#
        let first = try Self.recordReplay(fixture, message)
        let second = try Self.recordReplay(fixture, message)
        #expect(first == second)
        let text = first.map { String(decoding: $0, as: UTF8.self) }
        #expect(text.contains { $0.hasPrefix(#"{"type":"alert""#) })
        #expect(text.contains { $0.hasPrefix(#"{"type":"signal""#) })
        #expect(text.filter { $0.hasPrefix(#"{"type":"ticks""#) }.count > 1)
    }

    @Test func alertsAreReevaluatedForTheSessionsUserOnly() throws {
        let fixture = try StreamingFixture()
        // The ticks come first: nothing fired live, so whatever fires comes from re-evaluation.
        let offsets = try fixture.appendTicks([101, 101, 101])   // 100.00, 100.05, 100.10
        let other = try Self.makeUser(fixture, name: "other")
        let mine = try Self.alertID(AlertPushTests.createAlert(fixture, key: fixture.userKey, body: #"{"token":101,"condition":"price_above","price":100.10}"#))
        let theirs = try Self.alertID(AlertPushTests.createAlert(fixture, key: other, body: #"{"token":101,"condition":"price_above","price":100.05}"#))
        #expect(fixture.server.alertsRunner.waitUntilApplied(before: fixture.server.log.acceptedEnd, timeout: .seconds(10)))
        #expect(fixture.server.alerts.snapshot.firings(of: mine).isEmpty)

        for (key, alertID, tick) in [(fixture.userKey, mine, offsets[2]), (other, theirs, offsets[1])] {
            let client = try fixture.connect(key: key)
            try client.send(#"{"action":"replay","from_offset":\#(offsets[0])}"#)
            var alerts: [[String: Any]] = []
            while true {
                let message = try client.nextMessage()
                if message["type"] as? String == "alert" {
                    alerts.append(message)
                    // The alert follows the batch that carries its tick.
                    #expect(client.ticks.last?.offset == tick)
                }
                if message["type"] as? String == "replay_end" { break }
            }
            try #require(alerts.count == 1)
            #expect(Self.int(alerts[0]["alert_id"]) == Int(alertID))
            #expect(Self.int(alerts[0]["token"]) == 101)
            let firing = try #require(alerts[0]["firing"] as? [String: Any])
            #expect(Self.int(firing["tick_offset"]) == Int(tick))
            #expect(Self.int(firing["n"]) == 1)
        }
        // The admin key has no alerts of its own: its replay carries ticks only.
        let admin = try Self.recordReplay(fixture, #"{"action":"replay","from_offset":\#(offsets[0])}"#, key: StreamingFixture.adminKey)
        #expect(!admin.contains { String(decoding: $0, as: UTF8.self).hasPrefix(#"{"type":"alert""#) })
    }

    @Test func badReplayMessagesGetErrorsAndTheSessionStaysOpen() throws {
        let fixture = try StreamingFixture()
        let offsets = try Self.pacedThenBurst(fixture, burst: 10)
        let client = try fixture.connect()
        let refused: [(String, String)] = [
            (#"{"action":"replay","from":"yesterday"}"#, "invalid_time"),
            (#"{"action":"replay","from":true}"#, "invalid_time"),
            (#"{"action":"replay","from_offset":-1}"#, "invalid_offset"),
            (#"{"action":"replay","from_offset":1.5}"#, "invalid_offset"),
            (#"{"action":"replay","from":1764300000,"from_offset":3}"#, "invalid_replay"),
            (#"{"action":"replay","from":"2026-11-28","to":"2026-11-27"}"#, "invalid_replay"),
            (#"{"action":"replay","form":1764300000}"#, "invalid_replay"),
            (#"{"action":"replay","speed":0}"#, "invalid_speed"),
            (#"{"action":"replay","speed":"fast"}"#, "invalid_speed"),
            (#"{"action":"replay","tokens":[]}"#, "invalid_tokens"),
            (#"{"action":"replay","tokens":[0]}"#, "invalid_tokens"),
            (#"{"action":"replay","mode":"deep"}"#, "invalid_mode"),
            (#"{"action":"replay","tokens":\#(Array(1...3_001))}"#, "too_many_tokens"),
            (#"{"action":"pause"}"#, "not_replaying"),
            (#"{"action":"resume"}"#, "not_replaying"),
            (#"{"action":"seek","offset":1}"#, "not_replaying"),
            (#"{"action":"seek"}"#, "invalid_seek"),
            (#"{"action":"seek","to":1764300000,"offset":2}"#, "invalid_seek"),
            (#"{"action":"seek","offset":"x"}"#, "invalid_offset"),
            (#"{"action":"rewind"}"#, "unknown_action"),
        ]
        for (message, code) in refused {
            try client.send(message)
            let answer = try client.nextMessage()
            #expect(answer["type"] as? String == "error" && answer["code"] as? String == code, "\(message) got \(answer)")
        }
        try client.send(#"{"action":"replay","from_offset":\#(offsets[0]),"speed":1}"#)
        _ = try Self.read(client, until: "replay_started")
        for (message, code) in [(#"{"action":"subscribe","tokens":[101]}"#, "replay_session"),
                                (#"{"action":"unsubscribe","tokens":[101]}"#, "replay_session"),
                                (#"{"action":"replay"}"#, "replay_active")] {
            try client.send(message)
            let answer = try client.next()
            #expect(answer["code"] as? String == code, "\(message) got \(answer)")
        }
        _ = try Self.read(client, until: "replay_end")
        try client.send(#"{"action":"ping"}"#)
        #expect(try client.nextMessage()["type"] as? String == "pong")
    }

    /// A new user and a key for it, made with the admin key over HTTP.
    static func makeUser(_ fixture: StreamingFixture, name: String) throws -> String {
        func post(_ path: String, _ body: String) throws -> [String: Any] {
            let client = try TestClient(port: fixture.port)
            try client.send("POST \(path) HTTP/1.1\r\nHost: x\r\nX-API-Key: \(StreamingFixture.adminKey)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
            return try #require(try JSONSerialization.jsonObject(with: Data(client.readResponse().body)) as? [String: Any])
        }
        let user = try post("/users", #"{"name":"\#(name)"}"#)
        let id = try #require(int(user["id"]))
        return try #require(try post("/users/\(id)/keys", #"{"label":"replay"}"#)["key"] as? String)
    }

    static func alertID(_ response: TestResponse) throws -> UInt64 {
        let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        return UInt64(try #require(int(body["id"] ?? body["alert_id"])))
    }
}
