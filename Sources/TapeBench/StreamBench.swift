import EventLog
import Foundation
import Services

/// Issue #5's benchmark: `tape serve` with the simulated feed at `rate` ticks/s over the 2,000
/// most liquid instruments, and `sessions` `/ws/v2` sessions on loopback, each subscribed to
/// `tokensPerSession` random instruments of those, read by a client that keeps up.
///
/// The window opens once every session is subscribed (at the log's end then) and closes
/// `seconds` later; afterwards the log itself says which ticks each session should have got.
struct StreamBench {
    var rate = 100_000
    var sessions = 1_000
    var tokensPerSession = 50
    var seconds = 10
    let key = "bench-admin-key"

    func run() throws {
        let root = NSTemporaryDirectory() + "tape-bench-stream-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = try freePort()
        note("starting tape serve --demo with the simulated feed at \(rate) ticks/s on port \(port)")
        let tape = try spawn([siblingExecutable("tape"), "serve", "--demo", "--data", root + "/data", "--port", "\(port)",
                              "--admin-key", key, "--feed", "simulated", "--feed-rate", "\(rate)"])
        var stopped = false
        defer { if !stopped { stop(tape, signal: SIGTERM) } }
        _ = try waitForBody(port: port, path: "/health/ready", timeout: 120)

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
        let start = try acceptedEnd(port: port)
        client.openWindow(at: start)
        let began = Date()
        note("measuring for \(seconds) s from offset \(start)")
        usleep(UInt32(seconds) * 1_000_000)
        let end = try acceptedEnd(port: port)
        let elapsed = Date().timeIntervalSince(began)
        client.closeWindow(at: end)
        // Let the last ticks of the window arrive.
        usleep(2_000_000)
        let (tally, readers) = client.finish()
        stop(tape, signal: SIGTERM)
        stopped = true

        // What each session should have got: the window's ticks of its tokens, from the log.
        var perToken: [UInt32: UInt64] = [:]
        var ticksInWindow: UInt64 = 0
        let reader = try LogReader(directory: root + "/data/log")
        try reader.scanTicks(from: start, limit: Int(end - start)) { _, _, tick in
            perToken[tick.token, default: 0] += 1
            ticksInWindow += 1
            return true
        }
        var lost: UInt64 = 0, expected: UInt64 = 0
        for session in readers {
            let should = session.tokens.reduce(0) { $0 + (perToken[$1] ?? 0) }
            expected += should
            lost += should > session.receivedInWindow ? should - session.receivedInWindow : 0
        }
        let p50 = percentile(tally, 0.50), p99 = percentile(tally, 0.99)
        let maxMs = Double(tally.maxLatencyNanos) / 1e6
        let ingest = Double(ticksInWindow) / elapsed, delivered = Double(tally.inWindow) / elapsed
        printTable([
            ("ingest (simulated feed, target \(rate)/s)", "\(Int(ingest)) ticks/s", "", "", 0),
            ("delivered to \(sessions) sessions", "\(Int(delivered)) ticks/s", "expected", "\(Int(Double(expected) / elapsed)) ticks/s", 0),
            ("latency append → client", "p50 \(String(format: "%.2f", p50)) ms, p99 \(String(format: "%.2f", p99)) ms, max \(String(format: "%.1f", maxMs)) ms", "", "", 0),
        ])
        print("""
        {"bench":"stream","feed_rate":\(rate),"sessions":\(sessions),"tokens_per_session":\(tokensPerSession),\
        "seconds":\(round3(elapsed)),"ingest_ticks_per_s":\(Int(ingest)),"delivered_per_s":\(Int(delivered)),\
        "expected":\(expected),"received":\(tally.inWindow),"lost":\(lost),"out_of_order":\(tally.outOfOrder),\
        "closed_sessions":\(tally.closed),"latency_p50_ms":\(round3(p50)),"latency_p99_ms":\(round3(p99)),"latency_max_ms":\(round3(maxMs))}
        """)
    }

    /// The `q` quantile of the window's latencies, in milliseconds (10 µs buckets).
    func percentile(_ tally: StreamBenchClient.Tally, _ q: Double) -> Double {
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
    func acceptedEnd(port: Int) throws -> UInt64 {
        let body = try waitForBody(port: port, path: "/health", timeout: 10)
        guard let health = try JSONSerialization.jsonObject(with: body) as? [String: Any],
              let components = health["components"] as? [String: Any], let log = components["log"] as? [String: Any],
              let end = log["accepted_end"] as? NSNumber else { throw BenchError("GET /health has no components.log.accepted_end") }
        return end.uint64Value
    }
}
