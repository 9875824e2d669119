import EventLog
import Foundation

/// Issue #7's replay benchmark: `tape replay --speed max --format ndjson` of a market day of
/// `ticks` ticks (after the demo instruments) to /dev/null, in events/s, against `lz4 -dc` of the
/// same segment files to /dev/null.
///
/// A segment is a valid LZ4 stream (each batch's header sits in a skippable frame before its
/// standard LZ4 frame), so `lz4 -dc` reads the very files the replay reads and only
/// decompresses them: the floor under any replay. The replay also decodes every record and
/// writes it as a JSON line. The in-process figure is the same `LogReplay` code without the
/// process and the pipe.
struct ReplayBench {
    var ticks = 10_000_000

    func run() throws -> [Figure] {
        let root = NSTemporaryDirectory() + "tape-bench-replay-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        note("writing a log of \(ticks) ticks after the demo instruments")
        let events = try BenchLog.makeMarketDay(directory: root + "/data/log", ticks: ticks)

        // lz4 first: it also brings the segments into the page cache for both.
        let segments = try segmentFiles(in: root + "/data/log")
        _ = try lz4Decompress(segments)
        let lz4Seconds = try (0..<2).map { _ in try lz4Decompress(segments) }.min()!

        note("tape replay --speed max --format ndjson > /dev/null")
        let argv = [siblingExecutable("tape"), "replay", "--data", root + "/data", "--speed", "max", "--format", "ndjson"]
        let cliSeconds = try (0..<2).map { _ in try measure { try runCapturing(argv, outputPath: "/dev/null") } }.min()!

        // The same code in process, its lines written into a buffer that is then dropped.
        let reader = try LogReader(directory: root + "/data/log")
        let replay = LogReplay(format: .ndjson)
        var bytes = 0
        let inProcessSeconds = try measure {
            var out = JSONText(capacity: 1 << 17)
            try reader.scan(from: 0) { entry in
                guard replay.verdict(for: entry) == .write else { return true }
                replay.write(entry, to: &out)
                if out.bytes.count > 1 << 16 { bytes += out.bytes.count; out.reset() }
                return true
            }
            bytes += out.bytes.count
        }

        let cli = Double(events) / cliSeconds, lz4 = Double(events) / lz4Seconds, inProcess = Double(events) / inProcessSeconds
        printTable([
            ("tape replay --speed max --format ndjson > /dev/null", format(cli) + " events/s", "lz4 -dc of the segments > /dev/null",
             format(lz4) + " events/s", cli / lz4),
            ("LogReplay NDJSON in process (\(bytes / max(1, Int(events))) bytes/event)", format(inProcess) + " events/s", "", "", nil),
        ])
        print("""
        {"bench":"replay","events":\(events),"replay_events_per_s":\(Int(cli)),"lz4_cli_events_per_s":\(Int(lz4)),\
        "replay_vs_lz4_cli":\(round3(cli / lz4)),"in_process_events_per_s":\(Int(inProcess)),"ndjson_bytes":\(bytes)}
        """)
        return [
            Figure(suite: "replay", name: "replay NDJSON to /dev/null (events/s)", value: cli, peer: "lz4 -dc of the segments",
                   peerValue: lz4, target: .atLeast(1_000_000)),
            Figure(suite: "replay", name: "replay NDJSON in process (events/s)", value: inProcess),
        ]
    }
}
