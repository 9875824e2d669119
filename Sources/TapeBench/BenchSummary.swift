import Foundation

/// The figures of every suite run, as one markdown table and as `bench/results.json` with the
/// machine and the date, so the latest measured figures travel with the code.
struct BenchSummary {
    var figures: [Figure] = []
    /// Suites that stopped with an error, and the error.
    var failures: [(suite: String, error: String)] = []

    /// The table: one row a figure, each beside its peer, the ratio (above 1: Tape better), the target and ✓/✗.
    func table() -> String {
        var lines = [
            "| suite | figure | Tape | peer | peer figure | ratio | target | met |",
            "|---|---|---:|---|---:|---:|---|:-:|",
        ]
        for f in figures {
            let peerValue = f.peerValue.map { Figure.text($0, f.unit) } ?? ""
            let ratio = f.ratio.map { String(format: "%.2f×", $0) } ?? "–"
            let met = f.isMet.map { $0 ? "✓" : "✗" } ?? ""
            lines.append("| \(f.suite) | \(f.name) | \(Figure.text(f.value, f.unit)) | \(f.peer) | \(peerValue) | \(ratio) | \(f.targetText) | \(met) |")
        }
        for (suite, error) in failures {
            lines.append("| \(suite) | failed: \(error.replacingOccurrences(of: "|", with: "/").replacingOccurrences(of: "\n", with: " ")) | | | | | | ✗ |")
        }
        return lines.joined(separator: "\n")
    }

    /// The figures as JSON, with where and when they were measured; `earlier` rows (of suites
    /// not run this time) are kept as they were.
    func json(commandLine: [String], earlier: [[String: Any]] = []) -> Data {
        let now = ISO8601DateFormatter().string(from: Date())
        func number(_ x: Double?) -> Any { x.map { $0.isFinite ? round3($0) as Any : NSNull() } ?? NSNull() }
        let rows: [[String: Any]] = figures.map { f in
            [
                "suite": f.suite, "figure": f.name, "value": number(f.value), "unit": f.unit.rawValue,
                "peer": f.peer, "peer_value": number(f.peerValue), "ratio": number(f.ratio),
                "target": f.targetText, "met": f.isMet.map { $0 as Any } ?? NSNull(), "measured_at": now,
            ]
        }
        let suitesRun = Set(figures.map(\.suite) + failures.map(\.suite))
        let document: [String: Any] = [
            "format": "tape-bench results v1",
            "measured_at": now,
            "command": commandLine.joined(separator: " "),
            "commit": (try? runCapturing(["/usr/bin/git", "rev-parse", "--short", "HEAD"], allowFailure: true))??
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "",
            "machine": BenchSummary.machine(),
            "figures": earlier.filter { !suitesRun.contains($0["suite"] as? String ?? "") } + rows,
            "failed": failures.map { ["suite": $0.suite, "error": $0.error] },
        ]
        return (try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// Writes the JSON to `path`, creating its folder; figures of suites not run this time stay
    /// as the file had them, so the file holds the latest figure of every suite.
    func write(to path: String, commandLine: [String]) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let earlier = (try? Data(contentsOf: url)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        let rows = earlier?["figures"] as? [[String: Any]] ?? []
        try (json(commandLine: commandLine, earlier: rows) + Data("\n".utf8)).write(to: url)
    }

    /// CPU model, cores, memory and kernel, read from /proc: what the figures depend on.
    static func machine() -> [String: Any] {
        func firstValue(_ file: String, _ key: String) -> String? {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
            return text.split(separator: "\n").first { $0.hasPrefix(key) }
                .flatMap { $0.split(separator: ":", maxSplits: 1).last }
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        var info = utsname()
        uname(&info)
        let kernel = withUnsafeBytes(of: &info.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return [
            "cpu": firstValue("/proc/cpuinfo", "model name") ?? "unknown",
            "cores": ProcessInfo.processInfo.activeProcessorCount,
            "memory": firstValue("/proc/meminfo", "MemTotal") ?? "unknown",
            "kernel": kernel,
            "load_average_at_end": ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "")
                .split(separator: " ").prefix(3).joined(separator: " "),
        ]
    }
}
