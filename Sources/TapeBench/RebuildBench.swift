import EventLog
import Foundation
import Projections
import Services

/// Issue #7's rebuild benchmark: `tape rebuild` of every projection from a market day of
/// `ticks` ticks after the demo instruments, in events/s (events in the log over the command's
/// wall time), against the way it was done before: one `ProjectionRunner.rebuild()` per
/// projection, one after the other, each reading the whole log. Both must give every
/// projection the same content hash.
struct RebuildBench {
    var ticks = 10_000_000

    func run() throws -> [Figure] {
        let root = NSTemporaryDirectory() + "tape-bench-rebuild-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }
        note("writing a log of \(ticks) ticks after the demo instruments")
        let events = try BenchLog.makeMarketDay(directory: root + "/data/log", ticks: ticks)
        _ = try lz4Decompress(try segmentFiles(in: root + "/data/log"))  // into the page cache

        note("tape rebuild --data DIR (all projections)")
        var output = ""
        let cliSeconds = try measure {
            output = try runCapturing([siblingExecutable("tape"), "rebuild", "--data", root + "/data"]) ?? ""
        }
        let cliHashes = Dictionary(output.split(separator: "\n").compactMap { line -> (String, String)? in
            guard let name = line.split(separator: " ").first, let hash = line.split(separator: " ").last,
                  line.contains("hash") else { return nil }
            return (String(name), String(hash))
        }, uniquingKeysWith: { a, _ in a })

        note("the peer: one ProjectionRunner.rebuild() per projection, one after the other")
        var peerHashes: [String: String] = [:]
        let log = try LogReader(directory: root + "/data/log")
        let peerSeconds = try measure {
            for projection in Self.allProjections() {
                try ProjectionRunner(projection: projection, log: log, databasePath: root + "/peer.sqlite").rebuild()
                peerHashes[projection.name] = projection.contentHash()
            }
        }
        guard cliHashes.count == peerHashes.count, cliHashes == peerHashes else {
            throw BenchError("tape rebuild and the runners disagree:\n\(output)\nrunners: \(peerHashes.sorted { $0.key < $1.key })")
        }

        let rate = Double(events) / cliSeconds, peer = Double(events) / peerSeconds
        printTable([
            ("tape rebuild, all \(peerHashes.count) projections, \(events) events", format(rate) + " events/s",
             "one runner after another", format(peer) + " events/s", rate / peer),
        ])
        print("""
        {"bench":"rebuild","events":\(events),"projections":\(peerHashes.count),"seconds":\(round3(cliSeconds)),\
        "rebuild_events_per_s":\(Int(rate)),"sequential_runners_events_per_s":\(Int(peer)),"rebuild_vs_sequential":\(round3(rate / peer))}
        """)
        return [Figure(suite: "rebuild", name: "tape rebuild, all projections (events/s)", value: rate,
                       peer: "one runner after another", peerValue: peer, target: .atLeast(1_000_000))]
    }

    /// The projections `tape rebuild` rebuilds (the CLI's ProjectionSet).
    static func allProjections() -> [any Projection] {
        ProjectionSet.names.compactMap(ProjectionSet.make)
    }
}
