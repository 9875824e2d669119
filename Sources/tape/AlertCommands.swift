import EventLog
import Foundation
import Glibc
import Projections
import Services

/// `tape audit alert ID [--firing N]`, `tape audit alerts --from T --to T`, and the crash tests'
/// `debug-alert-engine`.
enum AlertCommands {
    /// Replays the log and checks logged firings against the rules; exit 0 when every one is
    /// confirmed and none is missing, 1 otherwise.
    static func audit(_ args: inout Arguments) throws -> Int32 {
        let dir = args.dataDirectory() + "/log"
        guard let what = args.positionals.first, what == "alert" || what == "alerts" else {
            throw UsageError("usage: tape audit alert ID [--firing N] --data DIR | tape audit alerts [--from T] [--to T] [--alert ID] [--problems] --data DIR")
        }
        var alertIDs: Set<UInt64>?
        var firing: UInt64?
        var from: Timestamp?, to: Timestamp?
        if what == "alert" {
            guard args.positionals.count == 2, let id = UInt64(args.positionals[1]) else {
                throw UsageError("tape audit alert needs one alert id, e.g. tape audit alert 7 --firing 2")
            }
            alertIDs = [id]
            firing = try args.integer("firing", range: 1...Int64.max).map(UInt64.init)
        } else {
            guard args.positionals.count == 1 else { throw UsageError("tape audit alerts takes no positional arguments; use --from, --to, --alert") }
            from = try args.time("from")
            to = try args.time("to")
            alertIDs = try args.integer("alert", range: 0...Int64.max).map { [UInt64($0)] }
        }
        let asJSON = args.flag("json")
        let problemsOnly = args.flag("problems")
        try args.rejectUnknown(positionals: what == "alert" ? 2 : 1)
        try requireLog(dir)

        let report = try AlertAudit.audit(try LogReader(directory: dir), alertIDs: alertIDs, firing: firing, from: from, to: to)
        if let firing, report.findings.isEmpty, let id = alertIDs?.first {
            printError("tape: the log holds no firing \(firing) of alert \(id)")
            return 1
        }
        if asJSON {
            var j = JSONText()
            j.beginObject()
            j.key("clean"); j.value(report.isClean)
            j.key("log_end"); j.value(report.logEnd)
            j.key("confirmed"); j.value(report.count("confirmed"))
            j.key("findings"); j.beginArray()
            for finding in report.listed(includingConfirmed: !problemsOnly) { finding.writeJSON(to: &j) }
            j.endArray()
            j.key("missing"); j.value(report.missing.count)
            j.key("pending"); j.value(report.pending.count)
            j.endObject()
            j.newline()
            writeOut(j.bytes)
        } else {
            writeOut(Array(report.text(includingConfirmed: !problemsOnly).utf8))
        }
        return report.isClean ? 0 : 1
    }

    // MARK: crash tests

    /// Runs the alert engine over `--data` (taking the writer lock), optionally feeding ticks from a
    /// second thread, printing `resumed <offset> logged <n>` at start and `checkpoint <offset>` after
    /// each checkpoint. The crash tests kill it with SIGKILL; `--crash-after-appends K` kills itself
    /// right after its K-th append (before any checkpoint could cover it), `--crash-after-checkpoints K`
    /// right after its K-th checkpoint; `--until caught-up` stops
    /// cleanly once the feed is done and everything is evaluated.
    static func debugEngine(_ args: inout Arguments) throws -> Int32 {
        let data = args.dataDirectory()
        let batch = Int(try args.integer("batch", range: 1...1_000_000) ?? 512)
        let checkpointEvery = UInt64(try args.integer("checkpoint-every", range: 1...Int64.max) ?? 1_000)
        let feedUntil = UInt64(try args.integer("feed-until") ?? 0)
        let crashAfter = try args.integer("crash-after-appends", range: 1...Int64.max)
        let crashAfterCheckpoints = try args.integer("crash-after-checkpoints", range: 1...Int64.max)
        let until = args.string("until")
        guard until == nil || until == "caught-up" else { throw UsageError("--until takes caught-up, got '\(until!)'") }
        let untilCaughtUp = until != nil
        try args.rejectUnknown()

        let log = try EventLog(directory: data + "/log")
        let counts = Monitor<(appends: Int64, checkpoints: Int64)>((0, 0))
        let hooks = AlertEngine.Hooks(
            afterAppend: { _ in
                let count = counts.update { $0.appends += 1; return $0.appends }
                if let crashAfter, count >= crashAfter { kill(getpid(), SIGKILL) }
            },
            afterCheckpoint: { offset in
                writeOut(Array("checkpoint \(offset)\n".utf8))
                let count = counts.update { $0.checkpoints += 1; return $0.checkpoints }
                if let crashAfterCheckpoints, count >= crashAfterCheckpoints { kill(getpid(), SIGKILL) }
            })
        let engine = AlertEngine(log: log, reader: try log.makeReader(), databasePath: ProjectionSet.databasePath(data),
                                 batchSize: batch, checkpointEvery: checkpointEvery, idleCheckpointDelay: .milliseconds(50),
                                 tailTimeout: .milliseconds(20), hooks: hooks)
        let feeding = Monitor(feedUntil > log.acceptedEnd)
        if feedUntil > log.acceptedEnd {
            let thread = Thread {
                defer { feeding.update { $0 = false } }
                do { try feed(log, until: feedUntil) } catch { printError("tape: feed stopped: \(error)") }
            }
            thread.start()
        }
        engine.start()
        while !engine.status.isResumed && engine.status.failure == nil { usleep(1_000) }
        let status = engine.status
        writeOut(Array("resumed \(status.resumedAt) logged \(status.loggedAfterCheckpoint)\n".utf8))
        while true {
            usleep(20_000)
            let now = engine.status
            if let failure = now.failure {
                printError("tape: \(failure)")
                return 1
            }
            if untilCaughtUp && !feeding.withLock({ $0 }) && now.isLive && now.nextOffset == log.durableEnd {
                engine.stop()
                let final = engine.status
                writeOut(Array("caught up \(final.nextOffset) appended \(final.appended) deduplicated \(final.deduplicated) unexplained \(final.unexplained)\n".utf8))
                try log.close()
                return 0
            }
        }
    }

    /// Appends ticks of tokens 1…4 in batches of 50 until the log holds `until` entries: a seeded random
    /// walk around 100.00, a tenth of a second apart, after the last tick already in the log.
    private static func feed(_ log: EventLog, until: UInt64) throws {
        let reader = try log.makeReader()
        var time = Timestamp(rawValue: 1_764_300_000_000_000_000)
        var end = try reader.endOffset()
        while end > 0 {
            let start = end > 256 ? end - 256 : 0
            if let last = try reader.read(from: start, limit: Int(end - start)).last(where: { if case .tick = $0.event { true } else { false } }) {
                time = last.time
                break
            }
            end = start
        }
        var rng = SplitMix64(seed: log.acceptedEnd)
        var prices: [Int64] = [10_000, 10_000, 10_000, 10_000]
        while log.acceptedEnd < until {
            let records = (0..<50).map { _ -> Record in
                let i = rng.index(4)
                prices[i] = max(9_500, min(10_500, prices[i] + Int64(5 * rng.next(in: -4...4))))
                time = Timestamp(rawValue: time.rawValue + 100_000_000)
                return Record(time: time, event: .tick(Tick(token: UInt32(i + 1), price: prices[i], decimals: 2, volume: 1)))
            }
            try log.append(records)
        }
    }
}
