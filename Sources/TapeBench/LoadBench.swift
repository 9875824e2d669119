import EventLog
import Foundation
import Services
import Synchronization

/// Issue #7's load test (`make soak`): `wrk` on the instruments and datafeed endpoints for
/// `seconds` at `connections` connections, while `sessions` `/ws/v2` sessions stream and the
/// simulated feed runs at `rate` ticks/s, all against one `tape serve --demo`.
///
/// It passes with zero HTTP errors (non-2xx, socket errors), no WebSocket tick lost or
/// session closed, HTTP p99 within issue #4's 10 ms, and memory flat: the server's resident
/// set (`VmRSS`, sampled every half second) grows less than 10% from the end of the warm-up
/// (the first sixth of the run, at least 5 s) to the end.
struct LoadBench {
    var seconds = 60
    var connections = 256
    var sessions = 1_000
    var rate = 100_000

    func run() throws -> [Figure] {
        for tool in ["/usr/bin/wrk", "/usr/bin/curl"] where !FileManager.default.fileExists(atPath: tool) {
            throw BenchError("\(tool) is missing: `make soak` installs wrk and curl")
        }
        let root = NSTemporaryDirectory() + "tape-bench-load-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }

        var stream = StreamBench()
        stream.sessions = sessions
        stream.rate = rate
        let port = try freePort()
        let tape = try stream.startServer(root: root, port: port)
        var stopped = false
        defer { if !stopped { stop(tape, signal: SIGTERM) } }

        let paths = requestPaths()
        for path in paths { _ = try waitForBody(port: port, path: path, timeout: 10) }
        let script = root + "/paths.lua"
        try wrkScript(paths: paths, key: stream.key).write(toFile: script, atomically: true, encoding: .utf8)

        let client = try stream.openSessions(port: port)
        client.beginEdge()
        let start = try StreamBench.acceptedEnd(port: port)
        client.openWindow(at: start)
        let sampler = ResidentSetSampler(pid: tape)
        sampler.start()
        let began = Date()
        note("wrk -c\(connections) for \(seconds) s over \(paths.count) paths, \(sessions) sessions streaming, feed at \(rate) ticks/s")
        let http = try HTTPBench.wrk(url: "http://127.0.0.1:\(port)", connections: connections, seconds: seconds, script: script)
        client.beginEdge()
        let end = try StreamBench.acceptedEnd(port: port)
        let elapsed = Date().timeIntervalSince(began)
        let samples = sampler.stop()
        client.closeWindow(at: end)
        // Let the last ticks of the window arrive.
        usleep(2_000_000)
        let (tally, readers) = client.finish()
        stop(tape, signal: SIGTERM)
        stopped = true
        let (ticks, expected, lost, extra) = try StreamBench.losses(of: readers, logDirectory: root + "/data/log", window: start..<end)

        // RSS after the warm-up against RSS at the end.
        let warmUp = max(5, Double(seconds) / 6)
        guard let warm = samples.first(where: { $0.seconds >= warmUp }) ?? samples.last, let last = samples.last else {
            throw BenchError("no resident-set sample of the server (pid \(tape))")
        }
        let growth = Double(last.kilobytes - warm.kilobytes) / Double(warm.kilobytes) * 100
        let peak = samples.map(\.kilobytes).max() ?? 0
        let wsP99 = StreamBench.percentile(tally, 0.99)
        let ingest = Double(ticks) / elapsed
        printTable([
            ("HTTP (\(paths.count) paths, \(connections) connections)", "\(Int(http.rps)) req/s, p99 \(String(format: "%.2f", http.p99ms)) ms, \(http.errors) errors", "", "", nil),
            ("WebSocket, \(sessions) sessions", "\(tally.inWindow) ticks received, \(lost) lost, \(tally.closed) closed, p99 \(String(format: "%.2f", wsP99)) ms",
             "expected from the log", "\(expected) ticks", nil),
            ("feed", "\(Int(ingest)) ticks/s", "asked", "\(rate) ticks/s", ingest / Double(rate)),
            ("server RSS", "\(warm.kilobytes / 1024) MiB after \(Int(warm.seconds)) s → \(last.kilobytes / 1024) MiB at the end (\(String(format: "%+.1f", growth))%), peak \(peak / 1024) MiB",
             "", "", nil),
        ])
        print("""
        {"bench":"load","seconds":\(round3(elapsed)),"connections":\(connections),"paths":\(paths.count),"sessions":\(sessions),\
        "feed_rate":\(rate),"http_requests":\(http.requests),"http_rps":\(Int(http.rps)),"http_p99_ms":\(round3(http.p99ms)),\
        "http_errors":\(http.errors),"ws_expected":\(expected),"ws_received":\(tally.inWindow),"ws_lost":\(lost),"ws_extra":\(extra),\
        "ws_closed":\(tally.closed),"ws_latency_p99_ms":\(round3(wsP99)),"ingest_ticks_per_s":\(Int(ingest)),\
        "rss_warm_kb":\(warm.kilobytes),"rss_end_kb":\(last.kilobytes),"rss_peak_kb":\(peak),"rss_growth_pct":\(round3(growth))}
        """)
        return [
            Figure(suite: "load", name: "HTTP under load (req/s)", value: http.rps),
            Figure(suite: "load", name: "HTTP p99 under load", value: round3(http.p99ms), unit: .milliseconds, target: .atMost(10)),
            Figure(suite: "load", name: "HTTP errors (non-2xx, socket)", value: Double(http.errors), unit: .count, target: .atMost(0)),
            Figure(suite: "load", name: "WebSocket ticks lost", value: Double(lost), unit: .count, target: .atMost(0)),
            Figure(suite: "load", name: "WebSocket sessions closed", value: Double(tally.closed), unit: .count, target: .atMost(0)),
            Figure(suite: "load", name: "WebSocket latency p99", value: round3(wsP99), unit: .milliseconds, target: .atMost(25)),
            Figure(suite: "load", name: "feed ingest (ticks/s)", value: ingest, peer: "asked", peerValue: Double(rate)),
            Figure(suite: "load", name: "server RSS growth after warm-up", value: round3(growth), unit: .percent, target: .atMost(10)),
        ]
    }

    /// The instruments and datafeed endpoints, on instruments the feed ticks (so history has bars).
    func requestPaths() -> [String] {
        let fixture = InstrumentFixture.generate(seed: 1)
        let byToken = Dictionary(uniqueKeysWithValues: fixture.active.map { ($0.token, $0) })
        let liquid = fixture.liquid(count: 2_000).compactMap { byToken[$0] }
        let a = liquid[0], b = liquid[liquid.count / 2]
        let prefix = String(b.tradingSymbol.prefix(3)).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "A"
        return [
            "/instruments/list?exchange=NSE&limit=50",
            "/instruments/list?exchange=NFO&limit=100&offset=200",
            "/instruments/search?q=\(prefix)&limit=30",
            "/instruments/stats",
            "/instruments/\(a.token)",
            "/udf/search?query=\(prefix)&limit=30",
            "/udf/history?symbol=\(a.exchange):\(a.tradingSymbol)&resolution=1&countback=300&to=4000000000",
            "/udf/history?symbol=\(b.exchange):\(b.tradingSymbol)&resolution=5&countback=100&to=4000000000",
        ].map { $0.replacingOccurrences(of: " ", with: "%20") }
    }

    /// A wrk script that sends the paths in turn, with the key.
    func wrkScript(paths: [String], key: String) -> String {
        """
        local paths = { \(paths.map { "\"\($0)\"" }.joined(separator: ", ")) }
        local i = 0
        wrk.headers["X-API-Key"] = "\(key)"
        request = function()
            i = i % #paths + 1
            return wrk.format("GET", paths[i])
        end
        """
    }
}

/// Samples a process's resident set (`VmRSS` of /proc/PID/status) every half second on its own
/// thread, from `start()` to `stop()`.
final class ResidentSetSampler: Sendable {
    struct Sample: Sendable { var seconds: Double; var kilobytes: Int }
    private let pid: pid_t
    private let samples = Mutex<[Sample]>([])
    private let isStopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(pid: pid_t) { self.pid = pid }

    func start() {
        let began = Date()
        Thread { [self] in
            while !isStopping.load(ordering: .acquiring) {
                if let kilobytes = Self.residentKilobytes(of: pid) {
                    samples.withLock { $0.append(Sample(seconds: Date().timeIntervalSince(began), kilobytes: kilobytes)) }
                }
                usleep(500_000)
            }
            finished.signal()
        }.start()
    }

    /// Stops sampling and returns the samples, oldest first.
    func stop() -> [Sample] {
        isStopping.store(true, ordering: .releasing)
        finished.wait()
        return samples.withLock { $0 }
    }

    /// `VmRSS` in kB, nil if the process is gone.
    static func residentKilobytes(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
}
