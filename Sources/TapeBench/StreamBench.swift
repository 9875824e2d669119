import EventLog
import Foundation
import Services

/// Issue #5's benchmark: `tape serve` with the simulated feed at `rate` ticks/s over the 2,000
/// most liquid instruments, and `sessions` `/ws/v2` sessions on loopback, each subscribed to
/// `tokensPerSession` random instruments of those, read by a client that keeps up.
///
/// The window opens `warmup` seconds after every session is subscribed (at the log's end then)
/// and closes `seconds` later; afterwards the log itself says which ticks each session should
/// have got. The warm-up lets the start settle: a thousand connections get their first ticks at
/// once, with fresh TCP buffers, and the first 100–200 ms deliver late (measure it with `--warmup 0`).
struct StreamBench {
    var rate = 100_000
    var sessions = 1_000
    var tokensPerSession = 50
    var seconds = 10
    var warmup = 2
    let key = "bench-admin-key"

    func run() throws -> [Figure] {
        let root = NSTemporaryDirectory() + "tape-bench-stream-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = try freePort()
        let tape = try startServer(root: root, port: port)
        var stopped = false
        defer { if !stopped { stop(tape, signal: SIGTERM) } }
        let client = try openSessions(port: port)
        if warmup > 0 {
            note("warming up for \(warmup) s")
            usleep(UInt32(warmup) * 1_000_000)
        }
        client.beginEdge()
        let start = try Self.acceptedEnd(port: port)
        client.openWindow(at: start)
        let began = Date()
        note("measuring for \(seconds) s from offset \(start)")
        usleep(UInt32(seconds) * 1_000_000)
        client.beginEdge()
        let end = try Self.acceptedEnd(port: port)
        let elapsed = Date().timeIntervalSince(began)
        client.closeWindow(at: end)
        // Let the last ticks of the window arrive.
        usleep(2_000_000)
        let (tally, readers) = client.finish()
        stop(tape, signal: SIGTERM)
        stopped = true

        let (ticksInWindow, expected, lost, extra) = try Self.losses(of: readers, logDirectory: root + "/data/log", window: start..<end)
        let p50 = Self.percentile(tally, 0.50), p99 = Self.percentile(tally, 0.99)
        let maxMs = Double(tally.maxLatencyNanos) / 1e6
        let ingest = Double(ticksInWindow) / elapsed, delivered = Double(tally.inWindow) / elapsed
        printTable([
            ("ingest (simulated feed)", "\(Int(ingest)) ticks/s", "feed rate", "\(rate) ticks/s", ingest / Double(rate)),
            ("delivered to \(sessions) sessions", "\(Int(delivered)) ticks/s", "expected", "\(Int(Double(expected) / elapsed)) ticks/s",
             expected > 0 ? Double(tally.inWindow) / Double(expected) : nil),
            ("latency append → client", "p50 \(String(format: "%.2f", p50)) ms, p99 \(String(format: "%.2f", p99)) ms, max \(String(format: "%.1f", maxMs)) ms", "", "", nil),
        ])
        print("""
        {"bench":"stream","feed_rate":\(rate),"sessions":\(sessions),"tokens_per_session":\(tokensPerSession),\
        "warmup_s":\(warmup),"seconds":\(round3(elapsed)),"ingest_ticks_per_s":\(Int(ingest)),"delivered_per_s":\(Int(delivered)),"messages_per_s":\(Int(Double(tally.messagesInWindow) / elapsed)),\
        "expected":\(expected),"received":\(tally.inWindow),"lost":\(lost),"extra":\(extra),"out_of_order":\(tally.outOfOrder),\
        "closed_sessions":\(tally.closed),"latency_p50_ms":\(round3(p50)),"latency_p99_ms":\(round3(p99)),"latency_max_ms":\(round3(maxMs))}
        """)
        return [
            Figure(suite: "stream", name: "delivered to \(sessions) sessions at \(rate) ticks/s", value: delivered,
                   peer: "expected from the log", peerValue: Double(expected) / elapsed),
            Figure(suite: "stream", name: "ticks lost", value: Double(lost), unit: .count, target: .atMost(0)),
            Figure(suite: "stream", name: "ticks not the session's (or twice)", value: Double(extra), unit: .count, target: .atMost(0)),
            Figure(suite: "stream", name: "latency append → client p99", value: round3(p99), unit: .milliseconds, target: .atMost(25)),
        ]
    }

    /// Starts `tape serve --demo` with the admin key and the simulated feed at `rate` ticks/s, and
    /// waits until it is ready; returns its process id.
    func startServer(root: String, port: Int) throws -> pid_t {
        note("starting tape serve --demo with the simulated feed at \(rate) ticks/s on port \(port)")
        let tape = try spawn([siblingExecutable("tape"), "serve", "--demo", "--data", root + "/data", "--port", "\(port)",
                              "--admin-key", key, "--feed", "simulated", "--feed-rate", "\(rate)"])
        do {
            _ = try waitForBody(port: port, path: "/health/ready", timeout: 120)
        } catch {
            stop(tape, signal: SIGTERM)
            throw error
        }
        return tape
    }

    /// Opens `sessions` sessions, each subscribed to `tokensPerSession` seeded random tokens of
    /// the 2,000 most liquid, read by two epoll threads; returns once every one is subscribed.
    func openSessions(port: Int) throws -> StreamBenchClient {
        var rng = SplitMix64(seed: 5)
        let liquid = InstrumentFixture.generate(seed: 1).liquid(count: 2_000)
        let subscriptions = (0..<sessions).map { _ in
            var picked = Set<UInt32>()
            while picked.count < tokensPerSession { picked.insert(liquid[rng.index(liquid.count)]) }
            return picked.sorted()
        }
        note("opening \(sessions) sessions × \(tokensPerSession) tokens")
        let client = try StreamBenchClient(port: port, key: key, subscriptions: subscriptions, readers: 2)
        client.start()
        let deadline = Date().addingTimeInterval(60)
        while client.subscribedCount < sessions {
            guard Date() < deadline else { throw BenchError("only \(client.subscribedCount) of \(sessions) sessions subscribed in 60 s") }
            usleep(20_000)
        }
        return client
    }

    /// What the sessions should have got in the window (each the window's ticks of its tokens,
    /// per the log), how many of those they did not get, and how many they got that they should
    /// not have (beyond those, or another session's token at any time); also the window's ticks in all.
    static func losses(of sessions: [StreamBenchClient.Session], logDirectory: String,
                       window: Range<UInt64>) throws -> (ticks: UInt64, expected: UInt64, lost: UInt64, extra: UInt64) {
        var perToken: [UInt32: UInt64] = [:]
        var ticks: UInt64 = 0
        try LogReader(directory: logDirectory).scanTicks(from: window.lowerBound, limit: window.count) { _, _, tick in
            perToken[tick.token, default: 0] += 1
            ticks += 1
            return true
        }
        var lost: UInt64 = 0, expected: UInt64 = 0, extra: UInt64 = 0, foreign: UInt64 = 0
        for session in sessions {
            let should = session.tokens.reduce(0) { $0 + (perToken[$1] ?? 0) }
            expected += should
            lost += should > session.receivedInWindow ? should - session.receivedInWindow : 0
            extra += session.receivedInWindow > should ? session.receivedInWindow - should : 0
            foreign += session.foreign
        }
        return (ticks, expected, lost, extra + foreign)
    }

    /// The `q` quantile of the window's latencies, in milliseconds (10 µs buckets).
    static func percentile(_ tally: StreamBenchClient.Tally, _ q: Double) -> Double {
        let total = tally.latency.reduce(0, +)
        guard total > 0 else { return 0 }
        let rank = UInt64((Double(total) * q).rounded(.up))
        var seen: UInt64 = 0
        for (i, count) in tally.latency.enumerated() {
            seen += count
            if seen >= rank { return Double(i + 1) * 0.01 }
        }
        return Double(tally.latency.count) * 0.01
    }

    /// The log's accepted end, from `GET /health`.
    static func acceptedEnd(port: Int) throws -> UInt64 {
        let body = try waitForBody(port: port, path: "/health", timeout: 10)
        guard let health = try JSONSerialization.jsonObject(with: body) as? [String: Any],
              let components = health["components"] as? [String: Any], let log = components["log"] as? [String: Any],
              let end = log["accepted_end"] as? NSNumber else { throw BenchError("GET /health has no components.log.accepted_end") }
        return end.uint64Value
    }
}
