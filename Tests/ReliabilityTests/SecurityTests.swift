import Foundation
import Glibc
import Testing
@testable import Gateway
import TapeTestSupport

/// Hostile and careless callers against a real `tape serve` (auth on, public reads off, debug logging):
/// no key or a wrong one reaches nothing, one user never reaches another's alerts, firings or session
/// ticks, and no API key is ever written out — not to the logs, `/metrics`, `tape dump` or the data files.
@Suite(.serialized) struct SecurityTests {
    static let admin = "security-admin-key-0123456789"

    /// A server with the catalog, two users (keys A and B), and an alert each on token 101 that fires on every tick.
    final class Fixture {
        let root = makeTemporaryDirectory("tape-security")
        let server: ServerProcess
        let keys: MixedLoad.Keys
        let alertA: Int
        let alertB: Int
        var client: LoopbackClient { server.client }

        init() throws {
            server = try ServerProcess(["--data", root + "/data", "--port", "0", "--admin-key", SecurityTests.admin,
                                        "--public-reads", "off", "--log-level", "debug"], logsIn: root)
            keys = try CrashCycleTests.prepare(server.client, adminKey: SecurityTests.admin)
            alertA = try Self.createAlert(server.client, key: keys.users[0])
            alertB = try Self.createAlert(server.client, key: keys.users[1])
        }

        /// An alert on token 101 that fires on every tick.
        static func createAlert(_ client: LoopbackClient, key: String) throws -> Int {
            let answer = try client.send("POST", "/alerts", key: key,
                                         body: #"{"token":101,"condition":"price_above","price":0.05,"frequency":"every","cooldown_s":0}"#)
            guard let id = answer.json["id"] as? Int else { throw LoopbackError(description: "POST /alerts: \(answer.text)") }
            return id
        }

        deinit {
            server.killNow()
            removeDirectory(root)
        }

        /// Posts one tick of each token and returns the offsets, in order.
        @discardableResult
        func tick(_ tokens: [UInt32], volume: Int) throws -> Int {
            let body = "[" + tokens.map { #"{"token":\#($0),"price":100.05,"volume":\#(volume)}"# }.joined(separator: ",") + "]"
            let answer = try client.send("POST", "/ticks", key: keys.users[0], body: body)
            guard answer.status == 200, let last = answer.json["last_offset"] as? Int else { throw LoopbackError(description: "POST /ticks: \(answer.text)") }
            return last
        }

        /// Waits until the alert has at least `count` firings (as its owner sees them).
        func waitForFirings(of alert: Int, key: String, count: Int) throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let items = try client.send("GET", "/alerts/\(alert)/firings", key: key).json["items"] as? [Any] ?? []
                if items.count >= count { return }
                usleep(20_000)
            }
            throw LoopbackError(description: "alert \(alert) never reached \(count) firings")
        }
    }

    @Test func noKeyOrAWrongKeyReachesNoUsersData() throws {
        let fixture = try Fixture()
        try fixture.tick([101], volume: 1)
        try fixture.waitForFirings(of: fixture.alertA, key: fixture.keys.users[0], count: 1)
        let a = fixture.alertA
        let requests: [(String, String, String)] = [
            ("GET", "/alerts", ""), ("GET", "/alerts/\(a)", ""), ("PATCH", "/alerts/\(a)", #"{"price":1}"#), ("DELETE", "/alerts/\(a)", ""),
            ("GET", "/alerts/\(a)/firings", ""), ("GET", "/alerts/\(a)/firings/1/explain", ""),
            ("POST", "/alerts", #"{"token":101,"condition":"price_above","price":1}"#), ("GET", "/replay?types=alert_triggered", ""),
            ("GET", "/udf/marks?symbol=NSE:SYM101&from=0&to=4000000000&resolution=1", ""), ("GET", "/quotes?tokens=101", ""),
        ]
        for key in [nil, "tape_1_not-a-key", fixture.keys.users[0] + "x", "Bearer"] as [String?] {
            for (method, path, body) in requests {
                let answer = try fixture.client.send(method, path, key: key, body: body)
                #expect(answer.status == 401, "\(method) \(path) with key \(key ?? "none"): \(answer.status) \(answer.text)")
                #expect(!answer.text.contains("price_above"), "\(method) \(path) leaked an alert: \(answer.text)")
            }
        }
        // Streaming needs a valid key too: the upgrade itself is refused.
        #expect(throws: LoopbackError.self) { try StreamSocket(port: fixture.client.port, key: nil) }
        #expect(throws: LoopbackError.self) { try StreamSocket(port: fixture.client.port, key: "tape_1_not-a-key") }
        // Nothing was changed by the refused requests.
        let alert = try fixture.client.send("GET", "/alerts/\(a)", key: fixture.keys.users[0])
        #expect(alert.status == 200 && alert.json["version"] as? Int == 1, "\(alert.text)")
    }

    @Test func oneUsersKeyCannotReadChangeOrDeleteAnothersAlerts() throws {
        let fixture = try Fixture()
        let (a, b) = (fixture.alertA, fixture.alertB)
        let (keyA, keyB) = (fixture.keys.users[0], fixture.keys.users[1])
        try fixture.tick([101], volume: 1)
        try fixture.waitForFirings(of: a, key: keyA, count: 1)
        try fixture.waitForFirings(of: b, key: keyB, count: 1)
        let client = fixture.client

        // Each foreign alert answers exactly as an alert that does not exist: 404, no detail.
        let missing = 999_999
        for (method, suffix, body) in [("GET", "", ""), ("PATCH", "", #"{"price":1}"#), ("DELETE", "", ""),
                                       ("GET", "/firings", ""), ("GET", "/firings/1/explain", "")] {
            let foreign = try client.send(method, "/alerts/\(a)\(suffix)", key: keyB, body: body)
            let absent = try client.send(method, "/alerts/\(missing)\(suffix)", key: keyB, body: body)
            #expect(foreign.status == 404, "B \(method) A's /alerts/\(a)\(suffix): \(foreign.status) \(foreign.text)")
            #expect(absent.status == 404)
            #expect((foreign.json["error"] as? [String: Any])?["code"] as? String == (absent.json["error"] as? [String: Any])?["code"] as? String)
            #expect(!foreign.text.contains("price_above") && !foreign.text.contains("tick_offset"), "\(foreign.text)")
        }
        // Lists: B sees only B's, whatever it asks for; B cannot create an alert owned by A.
        let listed = try client.send("GET", "/alerts?user_id=1", key: keyB).json["items"] as? [[String: Any]] ?? []
        let listedAll = try client.send("GET", "/alerts", key: keyB).json["items"] as? [[String: Any]] ?? []
        #expect(!(listed + listedAll).contains { $0["id"] as? Int == a }, "B listed A's alert")
        #expect(listedAll.contains { $0["id"] as? Int == b })
        let ownerOfA = try #require(try client.send("GET", "/alerts/\(a)", key: keyA).json["user_id"] as? Int)
        let forged = try client.send("POST", "/alerts", key: keyB, body: #"{"token":101,"condition":"price_above","price":1,"user_id":\#(ownerOfA)}"#)
        #expect(forged.status == 403, "\(forged.text)")
        // Market data is shared, but the log's private events are not: a user's replay of alert events is refused.
        #expect(try client.send("GET", "/replay?types=alert_triggered", key: keyB).status == 403)
        let replay = try client.send("GET", "/replay", key: keyB)
        #expect(replay.status == 200 && replay.text.contains(#""type":"tick""#), "\(replay.status)")
        for privateType in ["alert_", "user_created", "api_key_", "session_"] {
            #expect(!replay.text.contains(#""type":"\#(privateType)"#), "a user's replay holds \(privateType) events")
        }
        // A's alert is untouched.
        let after = try client.send("GET", "/alerts/\(a)", key: keyA)
        #expect(after.status == 200 && after.json["version"] as? Int == 1 && after.json["price"] as? Double == 0.05, "\(after.text)")
    }

    @Test func aSessionSeesOnlyItsOwnTokensAndItsOwnUsersFirings() throws {
        let fixture = try Fixture()
        let sessionA = try StreamSocket(port: fixture.client.port, key: fixture.keys.users[0])
        let sessionB = try StreamSocket(port: fixture.client.port, key: fixture.keys.users[1])
        try sessionA.send(#"{"action":"subscribe","tokens":[101]}"#)
        try sessionB.send(#"{"action":"subscribe","tokens":[102]}"#)
        let deadline = ContinuousClock.now + .seconds(10)
        _ = try sessionA.messages(until: { $0["type"] as? String == "subscribed" }, deadline: deadline)
        _ = try sessionB.messages(until: { $0["type"] as? String == "subscribed" }, deadline: deadline)
        // B tries to drop A's subscription: a session's unsubscribe touches only itself.
        try sessionB.send(#"{"action":"unsubscribe","tokens":[101]}"#)
        _ = try sessionB.messages(until: { $0["type"] as? String != nil && $0["type"] as? String != "ticks" }, deadline: deadline)

        let last = try fixture.tick([101, 102, 103, 101, 102, 103], volume: 7)
        // Each reads until it has the last tick of its own token; everything it got must be its own.
        func received(_ session: StreamSocket, token: Int) throws -> [[String: Any]] {
            let end = ContinuousClock.now + .seconds(20)
            var messages: [[String: Any]] = []
            while ContinuousClock.now < end {
                let message = try session.next()
                messages.append(message)
                let ticks = message["data"] as? [[String: Any]] ?? []
                if message["type"] as? String == "ticks", ticks.contains(where: { $0["token"] as? Int == token && ($0["offset"] as? Int ?? 0) >= last - 2 }) {
                    return messages
                }
            }
            throw LoopbackError(description: "no tick of \(token) arrived")
        }
        let gotA = try received(sessionA, token: 101)
        let gotB = try received(sessionB, token: 102)
        let ticksA = gotA.filter { $0["type"] as? String == "ticks" }.flatMap { $0["data"] as? [[String: Any]] ?? [] }
        let ticksB = gotB.filter { $0["type"] as? String == "ticks" }.flatMap { $0["data"] as? [[String: Any]] ?? [] }
        #expect(!ticksA.isEmpty && ticksA.allSatisfy { $0["token"] as? Int == 101 }, "A got \(ticksA)")
        #expect(!ticksB.isEmpty && ticksB.allSatisfy { $0["token"] as? Int == 102 }, "B got \(ticksB)")
        // Firings are pushed to their owner's sessions only: B may see B's alert, never A's.
        try fixture.waitForFirings(of: fixture.alertA, key: fixture.keys.users[0], count: 2)
        try fixture.waitForFirings(of: fixture.alertB, key: fixture.keys.users[1], count: 2)
        try fixture.tick([102], volume: 8)
        let more = try received(sessionB, token: 102)
        let pushedToB = (gotB + more).filter { $0["type"] as? String == "alert" }.compactMap { $0["alert_id"] as? Int }
        #expect(!pushedToB.contains(fixture.alertA), "B's session was pushed A's firing")
        let pushedToA = gotA.filter { $0["type"] as? String == "alert" }.compactMap { $0["alert_id"] as? Int }
        #expect(!pushedToA.contains(fixture.alertB), "A's session was pushed B's firing")
    }

    @Test func metricsLabelOnlyServedRoutesSoAPathNeverBecomesALabel() {
        let metrics = Metrics()
        metrics.limitRoutes(to: ["/instruments/{token}", "/alerts/{id}/firings/{n}/explain", "/", "/health"])
        for target in ["/instruments/408065?api_key=tape_1_secret", "/alerts/3/firings/1/explain", "/", "/health",
                       "/tape_1_secret", "/alerts/tape_1_secret", "/health/tape_1_secret"] {
            metrics.record(AccessLogEntry(method: .get, target: target, status: .ok, requestID: "", remoteAddress: "", duration: .milliseconds(1)))
        }
        let text = metrics.render(extra: [])
        #expect(!text.contains("secret"))
        for route in ["/instruments/{id}", "/alerts/{id}/firings/{id}/explain", "/", "/health"] {
            #expect(text.contains(#"tape_http_requests_total{method="GET",route="\#(route)",status="200"} 1"#), "\(route)")
        }
        #expect(text.contains(#"tape_http_requests_total{method="GET",route="unmatched",status="200"} 3"#))
    }

    @Test func apiKeysNeverAppearInLogsMetricsDumpsOrDataFiles() throws {
        let fixture = try Fixture()
        let client = fixture.client
        let keys = fixture.keys.users + [Self.admin]
        // Every way of sending a key, on REST and streaming, good and bad.
        for key in keys {
            _ = try client.send("GET", "/alerts", headers: ["Authorization": "Bearer \(key)"])
            _ = try client.send("GET", "/alerts?api_key=\(key)")
            _ = try client.send("GET", "/alerts/\(fixture.alertA)?api_key=\(key)x")
            _ = try client.send("GET", "/\(key)", key: key)
            _ = try client.send("GET", "/ws/kite?api_key=x&access_token=\(key)")
            _ = try StreamSocket(port: client.port, key: key)
        }
        _ = try? StreamSocket(port: client.port, key: keys[0] + "x")
        let issued = try client.send("POST", "/users/1/keys", key: Self.admin, body: #"{"label":"rotated"}"#)
        let rotated = try #require(issued.json["key"] as? String)
        #expect(try client.send("DELETE", "/keys/\(issued.json["key_id"] as? Int ?? 0)", key: rotated).status == 200)
        let metrics = try client.send("GET", "/metrics", key: Self.admin).text
        #expect(metrics.contains("tape_http_requests_total"))
        #expect(fixture.server.stop() == 0)

        let dump = try runTape(["dump", "--data", fixture.root + "/data"], scratch: fixture.root)
        #expect(dump.status == 0 && dump.output.contains("api_key_issued"))
        let places = ["server stdout": fixture.server.output, "server stderr": fixture.server.errors, "/metrics": metrics,
                      "tape dump": dump.output + dump.errors]
        for key in keys + [rotated] {
            for (place, text) in places {
                #expect(!text.contains(key), "an API key appears in \(place)")
            }
            for file in try FileManager.default.subpathsOfDirectory(atPath: fixture.root + "/data") {
                let bytes = FileManager.default.contents(atPath: fixture.root + "/data/" + file) ?? Data()
                #expect(bytes.range(of: Data(key.utf8)) == nil, "an API key appears in \(file)")
            }
        }
    }
}
