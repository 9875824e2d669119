import EventLog
import Foundation
import Glibc

/// A write the server acknowledged, and where it says the event is: checked against the log after a crash.
struct AcknowledgedEvent: CustomStringConvertible {
    var offset: UInt64
    /// The event type `tape dump` prints (`tick`, `instrument_updated`, `alert_created`, …).
    var type: String
    /// The field that identifies it and its value: a tick's unique volume, an alert id, an instrument token.
    var field: String
    var value: Int

    var description: String { "\(type) \(field)=\(value) at offset \(offset)" }
}

/// A `POST /ticks` sent with an Idempotency-Key that got no answer before the kill: it is sent again
/// after the restart, and must then be stored exactly once.
struct UnansweredPost {
    var key: String
    /// The API key it was sent with: a retry must come from the same user.
    var apiKey: String
    var body: String
    var volumes: [UInt64]
}

/// Concurrent writers and readers against one server (ticks with Idempotency-Keys, catalog changes,
/// alert changes, `/ws/v2` sessions) recording what was acknowledged. Shared by its load threads;
/// every field behind `state`.
final class MixedLoad: @unchecked Sendable {
    struct Keys {
        var admin: String
        var users: [String]
    }

    struct State {
        var acknowledged: [AcknowledgedEvent] = []
        var unanswered: [String: UnansweredPost] = [:]
        /// Problems seen while the server was meant to be up: wrong statuses, another session's ticks.
        var problems: [String] = []
        var isStopping = false
        var nextVolume: UInt64
        /// Live alerts: id → the index of the user (in `Keys.users`) who owns it.
        var alerts: [Int: Int] = [:]
    }

    static let tokens: [UInt32] = Array(101...120)

    let client: LoopbackClient
    let keys: Keys
    let cycle: Int
    let state: Monitor<State>
    private let threads = DispatchGroup()

    init(client: LoopbackClient, keys: Keys, cycle: Int, firstVolume: UInt64, alerts: [Int: Int]) {
        self.client = client
        self.keys = keys
        self.cycle = cycle
        state = Monitor(State(nextVolume: firstVolume, alerts: alerts))
    }

    /// The instruments the load ticks, as a Kite CSV for `POST /instruments/import`.
    static var catalogCSV: String {
        "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n"
            + tokens.map { "\($0),\($0),SYM\($0),\"NAME \($0)\",0,,0,0.05,1,EQ,NSE,NSE\n" }.joined()
    }

    /// Starts the load threads, each with its own generator drawn from `seed`.
    func start(seed: UInt64) {
        var seeds = SplitMix64(seed: seed)
        for poster in 0..<2 { run(seed: seeds.next()) { try self.postTicks(poster: poster, rng: &$0) } }
        run(seed: seeds.next()) { try self.changeInstruments(rng: &$0) }
        run(seed: seeds.next()) { try self.changeAlerts(rng: &$0) }
        run(seed: seeds.next()) { try self.watchSessions(rng: &$0) }
    }

    /// Tells the threads to stop (the server is about to die) and waits for them.
    func stop() {
        state.update { $0.isStopping = true }
        _ = threads.wait(timeout: .now() + 60)
    }

    var acknowledgedCount: Int { state.withLock { $0.acknowledged.count } }

    private var isStopping: Bool { state.withLock { $0.isStopping } }

    private func run(seed: UInt64, _ body: @escaping @Sendable (inout SplitMix64) throws -> Void) {
        threads.enter()
        Thread {
            defer { self.threads.leave() }
            var rng = SplitMix64(seed: seed)
            do { try body(&rng) } catch {
                // After the kill every request fails; before it, a failure is a finding.
                self.state.update { if !$0.isStopping { $0.problems.append("cycle \(self.cycle): \(error)") } }
            }
        }.start()
    }

    private func expect(_ answer: WireAnswer, _ statuses: Set<Int>, _ what: String) -> Bool {
        if statuses.contains(answer.status) { return true }
        state.update { if !$0.isStopping { $0.problems.append("cycle \(cycle): \(what) answered \(answer.status) \(answer.text)") } }
        return false
    }

    // MARK: the writers

    private func postTicks(poster: Int, rng: inout SplitMix64) throws {
        var prices = Dictionary(uniqueKeysWithValues: Self.tokens.map { ($0, Int64(10_000)) })
        var sequence = 0
        while !isStopping {
            let count = Int(rng.next(in: 1...20))
            let volumes = state.update { s in (0..<count).map { _ in s.nextVolume += 1; return s.nextVolume } }
            var items: [String] = []
            var tokens: [UInt32] = []
            for volume in volumes {
                let token = Self.tokens[rng.index(Self.tokens.count)]
                // A walk of 0.05 steps around 100.00, so alert levels near 100 fire now and then.
                let price = min(10_300, max(9_700, prices[token]! + 5 * (Int64(rng.next(in: 0...4)) - 2)))
                prices[token] = price
                tokens.append(token)
                items.append(#"{"token":\#(token),"price":\#(price / 100).\#(String(format: "%02d", price % 100)),"volume":\#(volume)}"#)
            }
            sequence += 1
            let key = "cycle\(cycle)-poster\(poster)-\(sequence)"
            let body = "[" + items.joined(separator: ",") + "]"
            let post = UnansweredPost(key: key, apiKey: keys.users[poster % keys.users.count], body: body, volumes: volumes)
            state.update { $0.unanswered[key] = post }
            let answer = try client.send("POST", "/ticks", key: post.apiKey, headers: ["Idempotency-Key": key], body: body)
            guard expect(answer, [200], "POST /ticks \(key)") else { continue }
            record(answer, of: post)
        }
    }

    /// Records an acknowledged `POST /ticks`: its ticks are at `first_offset` onwards, in the order sent.
    func record(_ answer: WireAnswer, of post: UnansweredPost) {
        let json = answer.json
        guard let first = json["first_offset"] as? Int, json["accepted"] as? Int == post.volumes.count else {
            state.update { $0.problems.append("POST /ticks \(post.key): unexpected answer \(answer.text)") }
            return
        }
        state.update {
            $0.unanswered[post.key] = nil
            for (index, volume) in post.volumes.enumerated() {
                $0.acknowledged.append(AcknowledgedEvent(offset: UInt64(first + index), type: "tick", field: "volume", value: Int(volume)))
            }
        }
    }

    private func changeInstruments(rng: inout SplitMix64) throws {
        var sequence = 0
        while !isStopping {
            sequence += 1
            let token = Self.tokens[rng.index(Self.tokens.count)]
            let answer = try client.send("PATCH", "/instruments/\(token)", key: keys.admin, body: #"{"name":"NAME \#(token) C\#(cycle) R\#(sequence)"}"#)
            guard expect(answer, [200], "PATCH /instruments/\(token)"), let offset = answer.json["first_offset"] as? Int else { continue }
            acknowledge(offset, "instrument_updated", "instrument_token", Int(token))
            // A short-lived listing now and then, delisted again: instrument events of all three kinds.
            if sequence % 5 == 0 {
                let extra = 10_000 + cycle * 1_000 + sequence
                let listing = #"{"instrument_token":\#(extra),"exchange_token":\#(extra),"tradingsymbol":"X\#(extra)","tick_size":0.05,"lot_size":1,"instrument_type":"EQ","segment":"NSE","exchange":"NSE"}"#
                let listed = try client.send("POST", "/instruments", key: keys.admin, body: listing)
                guard expect(listed, [201], "POST /instruments"), let at = listed.json["first_offset"] as? Int else { continue }
                acknowledge(at, "instrument_listed", "instrument_token", extra)
                let delisted = try client.send("DELETE", "/instruments/\(extra)", key: keys.admin)
                guard expect(delisted, [200], "DELETE /instruments/\(extra)"), let gone = delisted.json["first_offset"] as? Int else { continue }
                acknowledge(gone, "instrument_delisted", "token", extra)
            }
        }
    }

    private func changeAlerts(rng: inout SplitMix64) throws {
        let conditions = ["price_above", "price_below", "crosses_above", "crosses_below"]
        while !isStopping {
            let user = rng.index(keys.users.count)
            let key = keys.users[user]
            let level = Double(9_900 + 5 * rng.next(in: 0...40)) / 100
            let existing = state.withLock { $0.alerts.filter { $0.value == user }.keys.sorted() }
            switch rng.next(in: 0...9) {
            case 0...4 where existing.count < 40 || existing.isEmpty:
                let condition = conditions[rng.index(conditions.count)]
                let frequency = rng.next(in: 0...1) == 0 ? #""frequency":"once""# : #""frequency":"every","cooldown_s":0"#
                let body = #"{"token":\#(Self.tokens[rng.index(Self.tokens.count)]),"condition":"\#(condition)","price":\#(level),\#(frequency)}"#
                let answer = try client.send("POST", "/alerts", key: key, body: body)
                guard expect(answer, [201], "POST /alerts"), let id = answer.json["id"] as? Int, let offset = answer.json["offset"] as? Int else { continue }
                acknowledge(offset, "alert_created", "alert_id", id)
                state.update { $0.alerts[id] = user }
            case 5...8 where !existing.isEmpty:
                let id = existing[rng.index(existing.count)]
                let answer = try client.send("PATCH", "/alerts/\(id)", key: key, body: #"{"price":\#(level)}"#)
                guard expect(answer, [200], "PATCH /alerts/\(id)"), let offset = answer.json["offset"] as? Int else { continue }
                acknowledge(offset, "alert_updated", "alert_id", id)
            case 9 where !existing.isEmpty:
                let id = existing[rng.index(existing.count)]
                // Forgotten before the request: a delete the kill leaves unanswered may still have been stored.
                state.update { $0.alerts[id] = nil }
                let answer = try client.send("DELETE", "/alerts/\(id)", key: key)
                guard expect(answer, [200], "DELETE /alerts/\(id)"), let offset = answer.json["offset"] as? Int else { continue }
                acknowledge(offset, "alert_deleted", "alert_id", id)
            default:
                continue
            }
        }
    }

    private func acknowledge(_ offset: Int, _ type: String, _ field: String, _ value: Int) {
        state.update { $0.acknowledged.append(AcknowledgedEvent(offset: UInt64(offset), type: type, field: field, value: value)) }
    }

    // MARK: the readers

    /// Sessions that subscribe to a few tokens and read: every tick they get must be one of theirs.
    private func watchSessions(rng: inout SplitMix64) throws {
        while !isStopping {
            let session = try StreamSocket(port: client.port, key: keys.users[rng.index(keys.users.count)], timeoutSeconds: 2)
            let mine = Set((0..<3).map { _ in Self.tokens[rng.index(Self.tokens.count)] })
            try session.send(#"{"action":"subscribe","tokens":[\#(mine.map(String.init).joined(separator: ","))],"mode":"ltp"}"#)
            let deadline = ContinuousClock.now + .milliseconds(Int64(rng.next(in: 100...600)))
            while ContinuousClock.now < deadline && !isStopping {
                let message: [String: Any]
                do { message = try session.next() } catch { break }
                guard message["type"] as? String == "ticks" || message["type"] as? String == "snapshot" else { continue }
                for tick in message["data"] as? [[String: Any]] ?? [] {
                    let token = UInt32(tick["token"] as? Int ?? 0)
                    if !mine.contains(token) {
                        state.update { $0.problems.append("cycle \(cycle): a session subscribed to \(mine.sorted()) got a tick of \(token)") }
                    }
                }
            }
        }
    }
}
