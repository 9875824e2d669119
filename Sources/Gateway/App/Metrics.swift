import EventLog
import Foundation
import Projections

/// Request counts and latency histograms per route and status, rendered in the Prometheus
/// text exposition format (version 0.0.4). Updated from any thread, each under its shard's lock.
public final class Metrics: Sendable {
    /// Upper bounds of the latency buckets, in seconds.
    static let buckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

    /// One histogram's state; a value, owned by whoever holds the lock.
    struct Series {
        var count = 0
        var sum = 0.0
        var buckets = [Int](repeating: 0, count: Metrics.buckets.count)

        mutating func record(_ seconds: Double) {
            count += 1
            sum += seconds
            for (i, bound) in Metrics.buckets.enumerated() where seconds <= bound { buckets[i] += 1 }
        }

        mutating func add(_ other: Series) {
            count += other.count
            sum += other.sum
            for i in buckets.indices { buckets[i] += other.buckets[i] }
        }
    }

    /// What tells series apart; the label text is built only when rendering, not on every request. A value, usable
    /// from any thread.
    struct SeriesKey: Hashable {
        let method: HTTPMethod
        let route: String
        let status: HTTPStatus

        var labels: String { "method=\"\(method.rawValue)\",route=\"\(route)\",status=\"\(status.rawValue)\"" }
    }

    /// Every loop records every request it answers: one shared lock would have the loops queue on each other (and
    /// stall behind one preempted while holding it). Each thread records into the shard its id picks instead, and
    /// rendering adds the shards up.
    private let shards = (0..<(1 << Metrics.shardBits)).map { _ in Locked(Shard()) }
    private static let shardBits = 3

    /// One thread group's series, and the route labels it may use; owned by whoever holds its lock.
    struct Shard {
        var series: [SeriesKey: Series] = [:]
        /// Labels of the served routes; nil until `limitRoutes(to:)`, when every path is its own route.
        var knownRoutes: Set<String>?
    }

    /// The label of every path that is not a served route.
    static let unmatchedRoute = "unmatched"

    public init() {}

    /// Labels only the served routes (patterns like `/instruments/{token}`); any other path counts as `unmatched`.
    /// Why: a path is the client's text — a key sent as a path (`GET /tape_1_…`) must not become a label that
    /// `/metrics` shows to anyone, and random paths must not grow the series without bound.
    public func limitRoutes(to patterns: [String]) {
        let labels = Set(patterns.map { pattern in
            Metrics.route(of: "/" + pattern.split(separator: "/").map { $0.hasPrefix("{") ? "0" : String($0) }.joined(separator: "/"))
        })
        for shard in shards { shard.withLock { $0.knownRoutes = labels } }
    }

    /// Records one answered request.
    public func record(_ entry: AccessLogEntry) {
        let seconds = Double(entry.duration.components.seconds) + Double(entry.duration.components.attoseconds) / 1e18
        let route = Metrics.route(of: entry.target)
        // Updated in place: copying a series out and back would copy its bucket array on every request.
        shards[shardOfCallingThread].withLock { shard in
            let known = shard.knownRoutes.map { $0.contains(route) } ?? true
            let key = SeriesKey(method: entry.method, route: known ? route : Metrics.unmatchedRoute, status: entry.status)
            shard.series[key, default: Series()].record(seconds)
        }
    }

    /// The calling thread's shard: its pthread id scrambled by Fibonacci hashing (ids are aligned addresses, whose
    /// low bits alone would put every thread in one shard), then its top bits.
    private var shardOfCallingThread: Int {
        let scrambled = UInt64(pthread_self()) &* 0x9E37_79B9_7F4A_7C15
        return Int(scrambled >> (64 - Metrics.shardBits))
    }

    /// The path with numeric segments folded into `{id}` and empty segments dropped, so that labels stay few.
    static func route(of target: String) -> String {
        // Bytes, not Characters: a request target is ASCII (RFC 3986), and this runs for every request.
        let path = target.utf8.prefix { $0 != UInt8(ascii: "?") }
        let segments = path.split(separator: UInt8(ascii: "/"))
        let isNumeric = { (segment: Substring.UTF8View) in segment.allSatisfy { (0x30...0x39).contains($0) } }
        // The usual path is its own route (no numeric or empty segment): kept as it is rather than rebuilt.
        if segments.reduce(0, { $0 + 1 + $1.count }) == path.count, !segments.contains(where: isNumeric) {
            return String(Substring(path))
        }
        return "/" + segments.map { isNumeric($0) ? "{id}" : String(Substring($0)) }.joined(separator: "/")
    }

    /// The exposition text: HTTP series, then whatever `extra` adds (log, projections, process).
    public func render(extra: [(name: String, help: String, type: String, samples: [(labels: String, value: Double)])]) -> String {
        var out = "# HELP tape_http_requests_total HTTP requests answered, by method, route and status.\n# TYPE tape_http_requests_total counter\n"
        var merged: [SeriesKey: Series] = [:]
        for shard in shards {
            for (key, series) in shard.withLock({ $0.series }) { merged[key, default: Series()].add(series) }
        }
        let snapshot = merged.map { (labels: $0.key.labels, series: $0.value) }.sorted { $0.labels < $1.labels }
        for (labels, s) in snapshot { out += "tape_http_requests_total{\(labels)} \(s.count)\n" }
        out += "# HELP tape_http_request_duration_seconds Time to answer, by method, route and status.\n# TYPE tape_http_request_duration_seconds histogram\n"
        for (labels, s) in snapshot {
            for (i, bound) in Metrics.buckets.enumerated() {
                out += "tape_http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(s.buckets[i])\n"
            }
            out += "tape_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(s.count)\n"
            out += "tape_http_request_duration_seconds_sum{\(labels)} \(s.sum)\n"
            out += "tape_http_request_duration_seconds_count{\(labels)} \(s.count)\n"
        }
        for metric in extra {
            out += "# HELP \(metric.name) \(metric.help)\n# TYPE \(metric.name) \(metric.type)\n"
            for sample in metric.samples {
                out += metric.name + (sample.labels.isEmpty ? "" : "{\(sample.labels)}") + " \(Metrics.number(sample.value))\n"
            }
        }
        return out
    }

    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }

    /// Resident set size of this process, from /proc/self/statm.
    public static func residentMemoryBytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }
}
