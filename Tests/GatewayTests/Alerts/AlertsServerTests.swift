import EventLog
import Foundation
import Services
import Testing
import TapeTestSupport
@testable import Gateway

/// A real `TapeServer` on an ephemeral port with instruments 101…103 listed and two users with keys.
private final class AlertsFixture {
    static let adminKey = "admin-key-for-alert-tests"
    let directory: String
    private(set) var server: TapeServer
    private(set) var port: Int
    let alice: (id: UInt64, key: String)
    let bob: (id: UInt64, key: String)

    init() throws {
        directory = NSTemporaryDirectory() + "tape-alerts-api-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        server = try Self.makeServer(directory)
        let now = Timestamp.now()
        var records = (101...103).map { token in
            Record(time: now, event: .instrumentListed(Instrument(
                token: UInt32(token), exchangeToken: UInt32(token), tradingSymbol: "SYM\(token)", name: "Test \(token)",
                expiry: nil, strike: 0, tickSize: 0.05, lotSize: 1, instrumentType: "EQ", segment: "NSE", exchange: "NSE")))
        }
        var rng = SystemRandomNumberGenerator()
        var keys: [String] = []
        for (id, name) in [(UInt64(1), "alice"), (2, "bob")] {
            records.append(Record(time: now, event: UserCommands.makeUser(name: name, isAdmin: false, nextID: id)))
            let (plaintext, event) = UserCommands.issueKey(for: id, label: "test", nextKeyID: id, rng: &rng)
            records.append(Record(time: now, event: event))
            keys.append(plaintext)
        }
        try server.log.append(records)
        alice = (1, keys[0])
        bob = (2, keys[1])
        try server.start()
        port = try #require(server.port)
    }

    static func makeServer(_ directory: String) throws -> TapeServer {
        try TapeServer(settings: .forTests(directory: directory, adminKey: adminKey))
    }

    /// Stops the server and starts another on the same data directory.
    func restart() throws {
        server.stop(gracePeriod: .zero)
        server = try Self.makeServer(directory)
        try server.start()
        port = try #require(server.port)
    }

    deinit {
        server.stop(gracePeriod: .zero)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One request on a fresh connection; the body parsed as a JSON object (empty if it is not one).
    func send(_ method: String, _ path: String, key: String?, body: String = "") throws -> (status: Int, body: [String: Any]) {
        let client = try TestClient(port: port, receiveTimeoutSeconds: 30)
        let auth = key.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        let content = body.isEmpty ? "" : "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        try client.send("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\(auth)\(content)\r\n\(body)")
        let response = try client.readResponse()
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, json)
    }

    /// Appends ticks of `token` at the given prices, a millisecond apart; returns their offsets.
    @discardableResult
    func ticks(_ token: UInt32, _ prices: [Double]) throws -> [UInt64] {
        let start = Timestamp.now().rawValue
        let records = prices.enumerated().map { i, price in
            Record(time: Timestamp(rawValue: start + Int64(i) * 1_000_000),
                   event: .tick(Tick(token: token, price: Int64((price * 100).rounded()), decimals: 2, volume: 1)))
        }
        return Array(try server.log.append(records))
    }
}

/// Collects `onFiring` calls; lock-guarded.
private final class PushRecorder: Sendable {
    private let pushes = Locked<[(AlertFiring, UInt64)]>([])
    func record(_ firing: AlertFiring, _ userID: UInt64) { pushes.withLock { $0.append((firing, userID)) } }
    var all: [(AlertFiring, UInt64)] { pushes.withLock { $0 } }
}

@Suite(.serialized) struct AlertsServerTests {
    @Test func alertsAreCreatedReadChangedAndDeletedAsEventsWithVersions() throws {
        let f = try AlertsFixture()
        let created = try f.send("POST", "/alerts", key: f.alice.key,
                                 body: #"{"token":101,"condition":"crosses_above","price":100.5,"frequency":"every","cooldown_s":60}"#)
        #expect(created.status == 201)
        let id = try #require(created.body["id"] as? Int)
        #expect(created.body["version"] as? Int == 1)
        #expect(created.body["user_id"] as? Int == 1)
        #expect(created.body["price"] as? Double == 100.5)
        #expect(created.body["frequency"] as? String == "every")
        #expect(created.body["cooldown_s"] as? Int == 60)
        #expect(created.body["enabled"] as? Bool == true)
        #expect(created.body["deleted"] as? Bool == false)

        // Readable at once: the command answered after the projection folded it.
        let listed = try f.send("GET", "/alerts", key: f.alice.key)
        #expect(listed.body["total"] as? Int == 1)
        #expect(try f.send("GET", "/alerts/\(id)", key: f.alice.key).body["condition"] as? String == "crosses_above")

        let patched = try f.send("PATCH", "/alerts/\(id)", key: f.alice.key, body: #"{"price":101,"enabled":false}"#)
        #expect(patched.status == 200)
        #expect(patched.body["version"] as? Int == 2)
        #expect(patched.body["price"] as? Double == 101)
        #expect(patched.body["enabled"] as? Bool == false)
        #expect(try f.send("GET", "/alerts/\(id)", key: f.alice.key).body["version"] as? Int == 2)

        let deleted = try f.send("DELETE", "/alerts/\(id)", key: f.alice.key)
        #expect(deleted.status == 200)
        #expect(deleted.body["version"] as? Int == 3)
        #expect(deleted.body["deleted"] as? Bool == true)
        #expect(try f.send("GET", "/alerts", key: f.alice.key).body["total"] as? Int == 0)
        #expect(try f.send("GET", "/alerts/\(id)", key: f.alice.key).body["deleted"] as? Bool == true)
        #expect(try f.send("PATCH", "/alerts/\(id)", key: f.alice.key, body: #"{"price":99}"#).status == 410)
        // A bad body is refused as such even on a deleted alert: the request is wrong before the alert's state matters.
        #expect(try f.send("PATCH", "/alerts/\(id)", key: f.alice.key, body: #"{"token":4294967296}"#).status == 400)
        #expect(try f.send("PATCH", "/alerts/\(id)", key: f.alice.key, body: #"{"colour":"red"}"#).status == 400)
        #expect(try f.send("DELETE", "/alerts/\(id)", key: f.alice.key).status == 410)

        // Every change is an event in the log, with the version it made.
        var versions: [String] = []
        try f.server.log.makeReader().scan(from: 0) { entry in
            switch entry.event {
            case .alertCreated(let c): versions.append("created v\(c.version)")
            case .alertUpdated(let c): versions.append("updated v\(c.version)")
            case .alertDeleted(let d): versions.append("deleted v\(d.version)")
            default: break
            }
            return true
        }
        #expect(versions == ["created v1", "updated v2", "deleted v3"])
    }

    @Test func pctChangeTakesAWindowAndADirection() throws {
        let f = try AlertsFixture()
        let created = try f.send("POST", "/alerts", key: f.bob.key,
                                 body: #"{"token":102,"condition":"pct_change","pct":3,"direction":"down","window":"5m","expires_at":"2200-01-01T00:00:00Z"}"#)
        #expect(created.status == 201, "\(created.body)")
        #expect(created.body["pct"] as? Double == -3)
        #expect(created.body["window_s"] as? Int == 300)
        #expect(created.body["price"] is NSNull)
        #expect(created.body["expires_at"] as? Double == 7_258_118_400)
        let id = try #require(created.body["id"] as? Int)
        // Switching to a level condition drops the window and needs a price.
        #expect(try f.send("PATCH", "/alerts/\(id)", key: f.bob.key, body: #"{"condition":"price_above"}"#).status == 422)
        let switched = try f.send("PATCH", "/alerts/\(id)", key: f.bob.key, body: #"{"condition":"price_above","price":50}"#)
        #expect(switched.status == 200)
        #expect(switched.body["window_s"] is NSNull)
    }

    /// Bodies POST /alerts refuses, with the status (400 for a malformed field, 422 for a rule the fields make that is
    /// not valid or that names nothing) and what the error message must say.
    static let badBodies = [
        (#"{"token":101,"condition":"near","price":1}"#, 422, "condition"),
        (#"{"token":999,"condition":"price_above","price":1}"#, 422, "no listed instrument has token 999"),
        (#"{"token":101,"condition":"price_above"}"#, 422, "needs price"),
        (#"{"token":101,"condition":"price_above","price":1,"colour":"red"}"#, 400, "unknown field colour"),
        (#"{"token":101,"condition":"pct_change","pct":2,"window":"5 minutes"}"#, 400, "window must be"),
        (#"{"token":101,"condition":"pct_change","pct":2,"window":"8d"}"#, 422, "window, from 1 s to 7 days"),
        (#"{"token":101,"condition":"price_above","price":1,"frequency":"sometimes"}"#, 422, "frequency must be once or every"),
        (#"{"token":101,"condition":"price_above","price":1,"expires_at":"2001-01-01"}"#, 422, "expires_at must be in the future"),
        (#"{"token":101,"condition":"price_above","price":1,"expires_at":"2999-01-01"}"#, 400, "expires_at must be Unix seconds or an ISO 8601 time"),
        (#"{"token":101,"condition":"price_above","price":1,"expires_at":-1e300}"#, 422, "expires_at must be in the future"),
        (#"{"token":101,"condition":"price_above","price":"1"}"#, 400, "price must be a number"),
        (#"{"token":101,"condition":"price_above","price":1,"user_id":424242}"#, 403, "only the admin"),
        ("[1]", 400, "JSON object"),
    ]

    @Test func badAlertsAreRefusedWithTheFieldNamed() throws {
        let f = try AlertsFixture()
        for (body, status, message) in Self.badBodies {
            let response = try f.send("POST", "/alerts", key: f.alice.key, body: body)
            #expect(response.status == status, "\(body)")
            let error = response.body["error"] as? [String: Any]
            #expect((error?["message"] as? String)?.contains(message) == true, "\(body): \(response.body)")
        }
        #expect(try f.send("GET", "/alerts", key: f.alice.key).body["total"] as? Int == 0)
    }

    @Test func anotherUsersAlertIsNotFoundAndTheAdminSeesEveryone() throws {
        let f = try AlertsFixture()
        let mine = try #require(try f.send("POST", "/alerts", key: f.alice.key,
                                           body: #"{"token":101,"condition":"price_above","price":1}"#).body["id"] as? Int)
        let missing = try f.send("GET", "/alerts/999", key: f.bob.key)
        for (method, path) in [("GET", "/alerts/\(mine)"), ("PATCH", "/alerts/\(mine)"), ("DELETE", "/alerts/\(mine)"),
                               ("GET", "/alerts/\(mine)/firings"), ("GET", "/alerts/\(mine)/firings/1/explain")] {
            let answer = try f.send(method, path, key: f.bob.key, body: method == "PATCH" ? #"{"price":2}"# : "")
            #expect(answer.status == 404, "\(method) \(path)")
            // The same answer as for an id nobody has, but for the id itself.
            #expect((answer.body["error"] as? [String: Any])?["code"] as? String == (missing.body["error"] as? [String: Any])?["code"] as? String)
        }
        #expect(try f.send("GET", "/alerts", key: f.bob.key).body["total"] as? Int == 0)
        #expect(try f.send("GET", "/alerts", key: nil).status == 401)
        #expect(try f.send("POST", "/alerts", key: f.bob.key, body: #"{"token":101,"condition":"price_above","price":1,"user_id":1}"#).status == 403)

        // The admin key: every alert, and alerts created for a named user.
        // Well-formed bodies the key or the state refuses: the admin key belongs to no user, and user_id must name one.
        #expect(try f.send("POST", "/alerts", key: AlertsFixture.adminKey, body: #"{"token":101,"condition":"price_above","price":1}"#).status == 422)
        #expect(try f.send("POST", "/alerts", key: AlertsFixture.adminKey, body: #"{"token":101,"condition":"price_above","price":1,"user_id":424242}"#).status == 422)
        let forBob = try f.send("POST", "/alerts", key: AlertsFixture.adminKey, body: #"{"token":103,"condition":"price_below","price":1,"user_id":2}"#)
        #expect(forBob.status == 201)
        #expect(forBob.body["user_id"] as? Int == 2)
        #expect(try f.send("GET", "/alerts", key: AlertsFixture.adminKey).body["total"] as? Int == 2)
        #expect(try f.send("GET", "/alerts?user_id=2", key: AlertsFixture.adminKey).body["total"] as? Int == 1)
        #expect(try f.send("GET", "/alerts/\(mine)", key: AlertsFixture.adminKey).status == 200)
        #expect(try f.send("GET", "/alerts", key: f.bob.key).body["total"] as? Int == 1)
    }

    @Test func firingsAreListedPushedExplainedAndNeverRepeatedAfterARestart() throws {
        let f = try AlertsFixture()
        let pushes = PushRecorder()
        f.server.alertEngine.onFiring = pushes.record
        let created = try f.send("POST", "/alerts", key: f.alice.key,
                                 body: #"{"token":101,"condition":"crosses_above","price":100,"frequency":"every"}"#)
        let id = try #require(created.body["id"] as? Int)
        let offsets = try f.ticks(101, [99, 101, 99.5, 100, 102])
        var items: [[String: Any]] = []
        #expect(eventually(within: .seconds(10)) {
            items = (try? f.send("GET", "/alerts/\(id)/firings", key: f.alice.key).body["items"] as? [[String: Any]]) ?? []
            return items.count == 2
        })
        #expect(items.map { $0["n"] as? Int } == [1, 2])
        #expect(items.map { $0["tick_offset"] as? Int } == [Int(offsets[1]), Int(offsets[3])])
        #expect(items.map { $0["price"] as? Double } == [101, 100])
        #expect(items.map { $0["rule_version"] as? Int } == [1, 1])
        #expect(items.allSatisfy { ($0["offset"] as? Int ?? 0) > Int(offsets[4]) })
        #expect(items.allSatisfy { $0["time"] is Double })

        // The hook saw the same firings, with the owner.
        #expect(eventually { pushes.all.count == 2 })
        #expect(pushes.all.map(\.1) == [f.alice.id, f.alice.id])
        #expect(pushes.all.map { Int($0.0.offset) } == items.map { $0["offset"] as? Int })

        let explained = try f.send("GET", "/alerts/\(id)/firings/2/explain", key: f.alice.key)
        #expect(explained.status == 200)
        #expect(explained.body["verdict"] as? String == "confirmed")
        #expect(explained.body["consistent"] as? Bool == true)
        #expect((explained.body["rule"] as? [String: Any])?["version"] as? Int == 1)
        #expect((explained.body["rule"] as? [String: Any])?["condition"] as? String == "crosses_above")
        #expect((explained.body["tick"] as? [String: Any])?["offset"] as? Int == Int(offsets[3]))
        #expect((explained.body["previous_tick"] as? [String: Any])?["price"] as? Double == 99.5)
        #expect((explained.body["explanation"] as? String)?.contains("crossed above") == true)
        #expect(try f.send("GET", "/alerts/\(id)/firings/3/explain", key: f.alice.key).status == 404)
        #expect(try f.send("GET", "/alerts/\(id)/firings/0/explain", key: f.alice.key).status == 400)

        // Restarted, the engine resumes from its checkpoint: the same two firings, and new ticks still fire.
        try f.restart()
        try f.ticks(101, [99, 100.5])
        #expect(eventually(within: .seconds(10)) {
            (try? f.send("GET", "/alerts/\(id)/firings", key: f.alice.key).body["total"] as? Int) == 3
        })
        var keys: [String] = []
        try f.server.log.makeReader().scan(from: 0) { entry in
            if case .alertTriggered(let t) = entry.event { keys.append("\(t.alertID)@\(t.tickOffset)") }
            return true
        }
        #expect(keys.count == 3)
        #expect(Set(keys).count == 3)
    }
}
