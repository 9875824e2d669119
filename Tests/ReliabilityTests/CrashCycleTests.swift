import EventLog
import Foundation
import Glibc
import Services
import Testing
import TapeTestSupport

/// `tape serve` killed with SIGKILL at a random moment under mixed load, again and again on one data
/// directory. After each kill, on a copy of the directory as the crash left it: every acknowledged
/// write is at its offset, the log verifies, each projection resumed from its checkpoint has the hash of
/// a rebuild from 0, and the alert engine resumed from its checkpoint neither repeats nor misses a firing.
/// `TAPE_CRASH_CYCLES` sets the cycles (default 10; `make soak` runs 200), `TAPE_CRASH_SEED` the seed.
@Suite(.serialized) struct CrashCycleTests {
    static let adminKey = "crash-admin-key"

    @Test func killNineUnderMixedLoadLosesNothingAcknowledged() throws {
        let environment = ProcessInfo.processInfo.environment
        let cycles = environment["TAPE_CRASH_CYCLES"].flatMap(Int.init) ?? 10
        let seed = environment["TAPE_CRASH_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...999_999)
        print("crash cycles: \(cycles), seed \(seed) (TAPE_CRASH_SEED=\(seed) repeats the kill delays and the load generators)")
        var rng = SplitMix64(seed: seed)
        let root = makeTemporaryDirectory("tape-crash")
        defer { removeDirectory(root) }
        let data = root + "/data"
        let serveArguments = ["--data", data, "--port", "0", "--admin-key", Self.adminKey]

        // Setup: the instruments the load ticks and two users with keys.
        let first = try ServerProcess(serveArguments, logsIn: root, name: "setup")
        let keys = try Self.prepare(first.client)
        var alerts: [Int: Int] = [:]
        var unanswered: [UnansweredPost] = []
        var acknowledgedVolumes: [Int] = []
        var nextVolume: UInt64 = 0
        var retried = 0
        var server = first

        for cycle in 0..<cycles {
            // Requests the last kill left unanswered are sent again with their keys: stored exactly once.
            let resent = Self.resend(unanswered, to: server.client, keys: keys)
            retried += unanswered.count
            let load = MixedLoad(client: server.client, keys: keys, cycle: cycle, firstVolume: nextVolume, alerts: alerts)
            load.state.update { $0.acknowledged += resent }
            let killAfter = Duration.milliseconds(Int64(rng.next(in: 200...1_500)))
            load.start(seed: rng.next())
            // Some load must be acknowledged before the kill, then the kill comes at the seeded moment.
            let warm = ContinuousClock.now + .seconds(30)
            while load.acknowledgedCount < 5 && ContinuousClock.now < warm { usleep(2_000) }
            let killAt = ContinuousClock.now + killAfter
            while ContinuousClock.now < killAt { usleep(1_000) }
            load.state.update { $0.isStopping = true }
            server.killNow()
            load.stop()

            let outcome = load.state.withLock { $0 }
            #expect(outcome.problems.isEmpty, "seed \(seed) cycle \(cycle): \(outcome.problems.prefix(5))")
            alerts = outcome.alerts
            unanswered = Array(outcome.unanswered.values).sorted { $0.key < $1.key }
            nextVolume = outcome.nextVolume
            acknowledgedVolumes += outcome.acknowledged.filter { $0.type == "tick" }.map(\.value)

            var times = PhaseTimes()
            let copy = root + "/copy-\(cycle)"
            try times.measure("copy") { try FileManager.default.copyItem(atPath: data, toPath: copy) }
            try Self.checkCrashedCopy(copy, acknowledged: outcome.acknowledged, context: "seed \(seed) cycle \(cycle) (killed after \(killAfter))",
                                      scratch: root, times: &times)
            removeDirectory(copy)

            try times.measure("restart") {
                server = try ServerProcess(serveArguments, logsIn: root, name: "cycle-\(cycle)")
                try server.waitForHealth("ok")
            }
            // Progress for the long runs, and where their time goes as the log grows.
            print("crash cycle \(cycle + 1)/\(cycles): killed after \(killAfter), \(outcome.acknowledged.count) writes acknowledged; \(times)")
            fflush(nil)  // a line as it happens, also when the output goes to a file
        }

        // The last kill's unanswered requests, then a clean stop.
        let resent = Self.resend(unanswered, to: server.client, keys: keys)
        acknowledgedVolumes += resent.map(\.value)
        #expect(server.stop() == 0, "seed \(seed): the last server did not stop cleanly: \(server.errors.suffix(2_000))")
        var times = PhaseTimes()
        try Self.checkCrashedCopy(data, acknowledged: resent, context: "seed \(seed) after the last cycle", scratch: root, times: &times)

        // Across all cycles: each acknowledged tick once in the log (retries after a kill included),
        // and no alert fired twice for one tick.
        let dump = try Self.dump(data, from: 0, scratch: root)
        var seen: [Int: Int] = [:]
        var firings = Set<[Int]>()
        var duplicateFirings = 0
        for event in dump.values {
            if event["type"] as? String == "tick", let volume = event["volume"] as? Int { seen[volume, default: 0] += 1 }
            if event["type"] as? String == "alert_triggered", let id = event["alert_id"] as? Int, let tick = event["tick_offset"] as? Int {
                if !firings.insert([id, tick]).inserted { duplicateFirings += 1 }
            }
        }
        let missing = acknowledgedVolumes.filter { seen[$0] == nil }
        let twice = seen.filter { $0.value > 1 }
        #expect(missing.isEmpty, "seed \(seed): acknowledged ticks missing from the log (volumes \(missing.prefix(10)))")
        #expect(twice.isEmpty, "seed \(seed): ticks stored more than once (volumes \(twice.keys.sorted().prefix(10)))")
        #expect(duplicateFirings == 0, "seed \(seed): \(duplicateFirings) (alert, tick) pairs fired twice")
        #expect(acknowledgedVolumes.count > cycles * 10, "seed \(seed): the load acknowledged only \(acknowledgedVolumes.count) ticks")
        #expect(firings.count > 0, "seed \(seed): no alert ever fired, so exactly-once was not exercised")
        print("crash cycles done: seed \(seed), \(acknowledgedVolumes.count) acknowledged ticks, \(retried) requests retried after a kill, \(firings.count) firings")
    }

    /// Lists the instruments and makes two users with a key each.
    static func prepare(_ client: LoopbackClient, adminKey: String = adminKey) throws -> MixedLoad.Keys {
        let imported = try client.send("POST", "/instruments/import", key: adminKey, body: MixedLoad.catalogCSV)
        guard imported.status == 200 else { throw LoopbackError(description: "import: \(imported.status) \(imported.text)") }
        var users: [String] = []
        for name in ["ana", "ben"] {
            let user = try client.send("POST", "/users", key: adminKey, body: #"{"name":"\#(name)"}"#)
            guard let id = user.json["id"] as? Int else { throw LoopbackError(description: "POST /users: \(user.text)") }
            let issued = try client.send("POST", "/users/\(id)/keys", key: adminKey, body: "")
            guard let key = issued.json["key"] as? String else { throw LoopbackError(description: "POST keys: \(issued.text)") }
            users.append(key)
        }
        return MixedLoad.Keys(admin: adminKey, users: users)
    }

    /// Sends requests again with their Idempotency-Keys; returns where their ticks are.
    static func resend(_ posts: [UnansweredPost], to client: LoopbackClient, keys: MixedLoad.Keys) -> [AcknowledgedEvent] {
        let recorder = MixedLoad(client: client, keys: keys, cycle: -1, firstVolume: 0, alerts: [:])
        for post in posts {
            do {
                let answer = try client.send("POST", "/ticks", key: post.apiKey, headers: ["Idempotency-Key": post.key], body: post.body)
                if answer.status == 200 { recorder.record(answer, of: post) } else {
                    recorder.state.update { $0.problems.append("retry of \(post.key): \(answer.status) \(answer.text)") }
                }
            } catch {
                recorder.state.update { $0.problems.append("retry of \(post.key): \(error)") }
            }
        }
        let state = recorder.state.withLock { $0 }
        #expect(state.problems.isEmpty, "\(state.problems.prefix(5))")
        return state.acknowledged
    }

    /// The checks that need the server down, run on a directory as a crash (or a stop) left it.
    static func checkCrashedCopy(_ directory: String, acknowledged: [AcknowledgedEvent], context: String, scratch: String,
                                 times: inout PhaseTimes) throws {
        // The alert engine resumes from its checkpoint (opening the log cuts a torn tail first) and
        // evaluates to the end; the audit then finds no duplicate, missing or mismatched firing.
        let engine = try times.measure("alert engine") { try runTape(["debug-alert-engine", "--data", directory, "--until", "caught-up"], scratch: scratch) }
        #expect(engine.status == 0 && engine.output.contains("unexplained 0"), "\(context): alert engine: \(engine.output) \(engine.errors)")
        let audit = try times.measure("audit") { try runTape(["audit", "alerts", "--data", directory, "--problems"], scratch: scratch) }
        #expect(audit.status == 0, "\(context): tape audit alerts: \(audit.output.suffix(3_000)) \(audit.errors)")

        // Each projection resumed from the checkpoint the crash left equals a rebuild from offset 0.
        var resumed: [String: String] = [:]
        for name in ProjectionSet.names {
            let caughtUp = try times.measure("catch-up") {
                try runTape(["debug-catch-up", "--data", directory, "--projection", name, "--batch", "1000"], scratch: scratch)
            }
            #expect(caughtUp.status == 0, "\(context): debug-catch-up \(name): \(caughtUp.errors)")
            resumed[name] = caughtUp.output.components(separatedBy: " hash ").last?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let rebuild = try times.measure("rebuild") { try runTape(["rebuild", "--data", directory], scratch: scratch) }
        #expect(rebuild.status == 0, "\(context): rebuild: \(rebuild.errors)")
        for line in rebuild.output.split(separator: "\n") {
            guard let name = line.split(separator: " ").first.map(String.init), let hash = line.components(separatedBy: "hash ").last else { continue }
            #expect(resumed[name] == hash, "\(context): \(name) resumed to \(resumed[name] ?? "nothing"), rebuilt to \(hash)")
        }
        #expect(rebuild.output.split(separator: "\n").count == resumed.count, "\(context): rebuild printed \(rebuild.output)")

        let verify = try times.measure("verify") { try runTape(["verify", "--data", directory], scratch: scratch) }
        #expect(verify.status == 0, "\(context): tape verify: \(verify.output) \(verify.errors)")

        // Every acknowledged write is in the log at the offset its answer gave.
        guard let lowest = acknowledged.map(\.offset).min() else { return }
        let events = try times.measure("dump") { try dump(directory, from: lowest, scratch: scratch) }
        let lost = acknowledged.filter { ack in
            guard let event = events[ack.offset] else { return true }
            return event["type"] as? String != ack.type || event[ack.field] as? Int != ack.value
        }
        #expect(lost.isEmpty, "\(context): \(lost.count) of \(acknowledged.count) acknowledged writes not at their offsets: \(lost.prefix(5))")
    }

    /// `tape dump` from `offset` on, by offset.
    static func dump(_ directory: String, from offset: UInt64, scratch: String) throws -> [UInt64: [String: Any]] {
        let dump = try runTape(["dump", "--data", directory, "--from-offset", "\(offset)"], scratch: scratch)
        #expect(dump.status == 0, "tape dump: \(dump.errors)")
        var events: [UInt64: [String: Any]] = [:]
        for line in dump.output.split(separator: "\n") {
            guard let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let at = event["offset"] as? Int else { continue }
            events[UInt64(at)] = event
        }
        return events
    }
}

/// Wall time per named phase, summed over repeats, in the order first seen.
struct PhaseTimes: CustomStringConvertible {
    private var phases: [(name: String, time: Duration)] = []

    mutating func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer {
            let time = ContinuousClock.now - start
            if let i = phases.firstIndex(where: { $0.name == name }) { phases[i].time += time } else { phases.append((name, time)) }
        }
        return try body()
    }

    var description: String {
        phases.map { "\($0.name) \(String(format: "%.2f", Double($0.time.components.seconds) + Double($0.time.components.attoseconds) / 1e18)) s" }
            .joined(separator: ", ")
    }
}
