import CSQLite
import EventLog
import Foundation
import Services

/// Issue #2's benchmark: append, size and replay of random-walk ticks against SQLite and `lz4 -dc`.
struct LogBenchmark {
    let ticks: Int
    let batchSize = 1_000
    let instruments = 2_000

    /// The workload: a seeded random walk over the fixture's 2,000 most liquid tokens, exchange
    /// times advancing 1–20 µs per tick.
    func workload() -> [[Record]] {
        var walk = TickWalk(instruments: instruments, start: Timestamp(seconds: 1_764_215_100), meanStepNanos: 10_500)
        return (0..<(ticks / batchSize)).map { _ in walk.batch(batchSize) }
    }

    func run() throws -> [Figure] {
        let batches = workload()
        let total = batches.count * batchSize
        let root = NSTemporaryDirectory() + "tape-bench-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }

        // Append with durability `always`, one batch of 1,000 per append: first from one writer
        // thread, then from `writers` threads at once (group commit lets them share fdatasyncs).
        // SQLite gets the same writers, each on its own connection.
        let single = try EventLog(directory: root + "/log-1w")
        let appendSingleSeconds = try measure { for batch in batches { try single.append(batch) } }
        try single.close()
        let sqliteSingleSeconds = try sqliteInsert([batches], path: root + "/ticks-1w.sqlite")

        let logDir = root + "/log"
        let log = try EventLog(directory: logDir)
        let shares = split(batches)
        let appendSeconds = try measure {
            try concurrently(shares.count) { i in for batch in shares[i] { try log.append(batch) } }
        }
        try log.close()
        let sqliteSeconds = try sqliteInsert(shares, path: root + "/ticks.sqlite")

        // The CPU side alone (durability `never`), to show where append time goes.
        let cpuLog = try EventLog(directory: root + "/log-never", options: LogOptions(durability: .never))
        let cpuSeconds = try measure { for batch in batches { try cpuLog.append(batch) } }
        try cpuLog.close()

        let stats = try LogInspector.statistics(directory: logDir)
        let bytesPerTick = Double(stats.bytesOnDisk) / Double(total)

        // Warm the page cache, then time lz4 -dc over the same segment files.
        let segments = try segmentFiles(in: logDir)
        _ = try lz4Decompress(segments)
        let lz4Seconds = try (0..<3).map { _ in try lz4Decompress(segments) }.min()!

        // Replay: every tick decoded into values.
        let reader = try LogReader(directory: logDir)
        var checksum: Int64 = 0
        var seen = 0
        let replaySeconds = try (0..<3).map { _ in
            try measure {
                seen = 0
                try reader.scanTicks(from: 0) { _, _, tick in
                    checksum &+= tick.price &+ Int64(tick.volume)
                    seen += 1
                    return true
                }
            }
        }.min()!
        guard seen == total else { throw BenchError("replay saw \(seen) ticks, expected \(total)") }

        let append = Double(total) / appendSeconds
        let sqlite = Double(total) / sqliteSeconds
        let appendSingle = Double(total) / appendSingleSeconds
        let sqliteSingle = Double(total) / sqliteSingleSeconds
        let replay = Double(total) / replaySeconds
        let lz4 = Double(total) / lz4Seconds
        printTable([
            ("append, 1 writer (durable, batches of 1,000)", format(appendSingle) + " ticks/s", "SQLite WAL, synchronous=FULL, 1 writer", format(sqliteSingle) + " ticks/s", appendSingle / sqliteSingle),
            ("append, \(writers) writers (group commit)", format(append) + " ticks/s", "SQLite, \(writers) writers", format(sqlite) + " ticks/s", append / sqlite),
            ("append, durability never (CPU only)", format(Double(total) / cpuSeconds) + " ticks/s", "", "", nil),
            ("bytes on disk per tick", String(format: "%.2f", bytesPerTick), "raw record bytes per tick", String(format: "%.2f", Double(stats.rawBytes) / Double(total)), nil),
            ("replay (decoded into values)", format(replay) + " ticks/s", "lz4 -dc to /dev/null", format(lz4) + " ticks/s", replay / lz4),
        ])
        print("""
        {"bench":"log","ticks":\(total),"writers":\(writers),"append_ticks_per_s":\(Int(append)),"sqlite_ticks_per_s":\(Int(sqlite)),\
        "append_vs_sqlite":\(round3(append / sqlite)),"append_1w_ticks_per_s":\(Int(appendSingle)),\
        "sqlite_1w_ticks_per_s":\(Int(sqliteSingle)),"append_vs_sqlite_1w":\(round3(appendSingle / sqliteSingle)),"bytes_per_tick":\(round3(bytesPerTick)),\
        "replay_ticks_per_s":\(Int(replay)),"lz4_cli_ticks_per_s":\(Int(lz4)),"replay_vs_lz4_cli":\(round3(replay / lz4)),\
        "checksum":\(checksum)}
        """)
        return [
            Figure(suite: "log", name: "append, \(writers) writers, durable", value: append, peer: "SQLite, \(writers) writers",
                   peerValue: sqlite, target: .ratioAtLeast(3)),
            Figure(suite: "log", name: "append, 1 writer, durable", value: appendSingle, peer: "SQLite, 1 writer", peerValue: sqliteSingle),
            Figure(suite: "log", name: "bytes on disk per tick", value: round3(bytesPerTick), unit: .bytes, peer: "raw record bytes",
                   peerValue: round3(Double(stats.rawBytes) / Double(total)), target: .atMost(12)),
            Figure(suite: "log", name: "replay, ticks decoded into values", value: replay, peer: "lz4 -dc of the segments",
                   peerValue: lz4, target: .ratioAtLeast(0.5)),
        ]
    }

    let writers = 4

    /// Deals the batches round-robin to the writers.
    func split(_ batches: [[Record]]) -> [[[Record]]] {
        var shares = Array(repeating: [[Record]](), count: writers)
        for (i, batch) in batches.enumerated() { shares[i % writers].append(batch) }
        return shares
    }

    /// The peer: the same ticks into a WAL table, prepared insert, one durable transaction per
    /// batch; one connection per share of batches, all writing at once.
    func sqliteInsert(_ shares: [[[Record]]], path: String) throws -> Double {
        try sqliteWriter(path: path, batches: [], create: true)
        return try measure {
            try concurrently(shares.count) { i in try sqliteWriter(path: path, batches: shares[i], create: false) }
        }
    }

    func sqliteWriter(path: String, batches: [[Record]], create: Bool) throws {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw BenchError("sqlite3_open \(path)") }
        defer { sqlite3_close(db) }
        func exec(_ sql: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))") }
        }
        sqlite3_busy_timeout(db, 60_000)
        try exec("PRAGMA journal_mode=WAL")
        try exec("PRAGMA synchronous=FULL")
        if create {
            try exec("CREATE TABLE ticks(token INTEGER NOT NULL, price INTEGER NOT NULL, volume INTEGER NOT NULL, time INTEGER NOT NULL)")
            return
        }
        var insert: OpaquePointer?
        guard sqlite3_prepare_v2(db, "INSERT INTO ticks VALUES (?, ?, ?, ?)", -1, &insert, nil) == SQLITE_OK else { throw BenchError("prepare") }
        defer { sqlite3_finalize(insert) }
        do {
            for batch in batches {
                try exec("BEGIN IMMEDIATE")
                for record in batch {
                    guard case .tick(let t) = record.event else { continue }
                    sqlite3_bind_int64(insert, 1, Int64(t.token))
                    sqlite3_bind_int64(insert, 2, t.price)
                    sqlite3_bind_int64(insert, 3, Int64(t.volume))
                    sqlite3_bind_int64(insert, 4, record.time.rawValue)
                    guard sqlite3_step(insert) == SQLITE_DONE else { throw BenchError("insert: \(String(cString: sqlite3_errmsg(db)))") }
                    sqlite3_reset(insert)
                }
                try exec("COMMIT")
            }
        }
    }
}

/// Seconds `lz4 -dc` takes to decompress the segment files to /dev/null, one process per file.
func lz4Decompress(_ segments: [String]) throws -> Double {
    try measure {
        for segment in segments {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/lz4")
            process.arguments = ["-d", "-c", "-q", segment]
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchError("lz4 -dc \(segment) failed") }
        }
    }
}

/// The segment files of a log directory, in offset order.
func segmentFiles(in directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted().map { directory + "/" + $0 }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Wall-clock seconds a piece of work takes.
func measure(_ work: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try work()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func format(_ rate: Double) -> String {
    rate >= 1e6 ? String(format: "%.2fM", rate / 1e6) : String(format: "%.0fk", rate / 1e3)
}

func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

/// Prints rows of (figure, value, peer, peer value, ratio) as a markdown table.
func printTable(_ rows: [(String, String, String, String, Double?)]) {
    print("| figure | Tape | peer | peer figure | ratio |")
    print("|---|---:|---|---:|---:|")
    for (name, value, peer, peerValue, ratio) in rows {
        print("| \(name) | \(value) | \(peer) | \(peerValue) | \(ratio.map { String(format: "%.2f×", $0) } ?? "–") |")
    }
}

/// Runs `body(0..<count)` on `count` threads and waits for all; rethrows the first error.
func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
    let errors = Monitor<[Error]>([])
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        Thread {
            do { try body(i) } catch { errors.update { $0.append(error) } }
            group.leave()
        }.start()
    }
    group.wait()
    if let first = errors.withLock({ $0.first }) { throw first }
}
