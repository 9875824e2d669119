import EventLog
import Foundation
import Glibc
import Testing
import TapeTestSupport

/// A full disk, made real with a size-limited tmpfs (where one can be mounted) or with the server's
/// file-size limit lowered: appends fail with a clear error, store nothing and lose nothing acknowledged,
/// and everything works again when space returns, without a restart — for `EventLog` and `tape serve`.
@Suite(.serialized) struct DiskFullTests {
    /// How a test makes the disk full.
    enum FullDisk: String, CustomTestStringConvertible, Sendable {
        /// The data directory on a small tmpfs, filled with a ballast file: ENOSPC everywhere.
        case tmpfs
        /// The server's RLIMIT_FSIZE lowered to one byte: EFBIG for every write past it.
        case fileSizeLimit

        /// Both where a tmpfs can be mounted, else the file-size limit alone.
        static var available: [FullDisk] { SmallFilesystem.isAvailable ? [.tmpfs, .fileSizeLimit] : [.fileSizeLimit] }

        var testDescription: String { rawValue }
        /// What the log's error says.
        var logError: String { self == .tmpfs ? "No space left on device" : "File too large" }
    }

    /// A batch of ticks whose volumes start at `first`; prices vary so that LZ4 cannot squeeze them to nothing.
    static func batch(from first: UInt64, count: Int, rng: inout SplitMix64) -> [Record] {
        (0..<count).map { i in
            let volume = first + UInt64(i)
            return Record(time: Timestamp(nanoseconds: 1_764_300_000_000_000_000 + Int64(volume) * 1_000_000),
                          event: .tick(Tick(token: UInt32(rng.next(in: 1...50)), price: Int64(rng.next(in: 1...1_000_000)), volume: volume)))
        }
    }

    @Test(.enabled(if: SmallFilesystem.isAvailable, "needs the right to mount a tmpfs (root)"))
    func aFullDiskRefusesAppendsCleanlyAndTheLogAppendsAgainWhenSpaceReturns() throws {
        let root = makeTemporaryDirectory("tape-diskfull-log")
        defer { removeDirectory(root) }
        let disk = try SmallFilesystem(at: root + "/log", megabytes: 3)
        defer { disk.unmount() }
        var rng = SplitMix64(seed: 11)
        let log = try EventLog(directory: disk.path, options: LogOptions(segmentSize: 1 << 20))
        var acknowledged: [UInt64: UInt64] = [:]  // offset → volume
        var volume: UInt64 = 0
        var refusal: LogError?
        // Until the disk is full: segments roll at 1 MiB, so rolls and preallocation meet the full disk too.
        for _ in 0..<2_000 {
            let records = Self.batch(from: volume, count: 500, rng: &rng)
            do {
                let range = try log.append(records)
                for (offset, record) in zip(range, records) {
                    if case .tick(let tick) = record.event { acknowledged[offset] = tick.volume }
                }
                volume += 500
            } catch let error as LogError {
                refusal = error
                break
            }
        }
        let error = try #require(refusal, "the 3 MiB disk never filled")
        guard case .system(_, _, let code) = error else { Issue.record("not a system error: \(error)"); return }
        #expect(code == ENOSPC, "\(error)")
        #expect(error.description.contains("No space left on device"))
        #expect(log.appendFailure == error)
        #expect(log.failure == nil, "a refused write must not poison the log")
        let end = log.acceptedEnd
        #expect(end == UInt64(acknowledged.count))

        // Still full: refused again, nothing accepted.
        #expect(throws: LogError.self) { try log.append(Self.batch(from: volume, count: 500, rng: &rng)) }
        #expect(log.acceptedEnd == end)

        // Space returns: the next append goes on at the next offset, and the failure is gone.
        try disk.resize(megabytes: 16)
        let records = Self.batch(from: volume, count: 500, rng: &rng)
        let range = try log.append(records)
        #expect(range.lowerBound == end)
        for (offset, record) in zip(range, records) {
            if case .tick(let tick) = record.event { acknowledged[offset] = tick.volume }
        }
        #expect(log.appendFailure == nil)
        try log.close()

        // On disk: every frame checks out, reopening cuts nothing, and every acknowledged tick reads back.
        #expect(try LogInspector.verify(directory: disk.path).isClean)
        let reopened = try EventLog(directory: disk.path, options: LogOptions(segmentSize: 1 << 20))
        #expect(reopened.recovery.isClean, "\(reopened.recovery)")
        var read: [UInt64: UInt64] = [:]
        try reopened.makeReader().scanTicks(from: 0) { offset, _, tick in
            read[offset] = tick.volume
            return true
        }
        #expect(read == acknowledged)
        try reopened.close()
    }

    @Test(arguments: FullDisk.available)
    func theServerAnswers503AndReportsDegradedWhileTheDiskIsFullThenRecoversWithoutARestart(_ fullDisk: FullDisk) throws {
        let root = makeTemporaryDirectory("tape-diskfull-serve")
        defer { removeDirectory(root) }
        let data = root + "/data"
        // The whole data directory: the log and the projections' SQLite database run out of space together.
        let disk = fullDisk == .tmpfs ? try SmallFilesystem(at: data, megabytes: 12) : nil
        defer { disk?.unmount() }
        let admin = "diskfull-admin-key"
        let server = try ServerProcess(["--data", data, "--port", "0", "--admin-key", admin, "--segment-bytes", "1M"], logsIn: root)
        let client = server.client
        let keys = try CrashCycleTests.prepare(client, adminKey: admin)
        // An alert that fires on every tick, so the alert engine appends while the disk is full too.
        let alert = try client.send("POST", "/alerts", key: keys.users[0],
                                    body: #"{"token":101,"condition":"price_above","price":0.05,"frequency":"every","cooldown_s":0}"#)
        #expect(alert.status == 201)
        let alertID = try #require(alert.json["id"] as? Int)

        var rng = SplitMix64(seed: 5)
        var volume = 0
        func body(_ count: Int) -> String {
            "[" + (0..<count).map { _ in
                volume += 1
                let token = MixedLoad.tokens[rng.index(MixedLoad.tokens.count)]
                return #"{"token":\#(token),"price":\#(rng.next(in: 100...99_999)).\#(5 * rng.next(in: 10...19)),"volume":\#(volume)}"#
            }.joined(separator: ",") + "]"
        }
        // The disk is filled from outside; the open segment's preallocated zeros still take a few batches.
        let limit = FileSizeLimit(pid: server.process.processIdentifier)
        if let disk { disk.fill() } else { try limit.lower() }
        var acknowledged: [AcknowledgedEvent] = []
        func acknowledge(_ answer: WireAnswer, volumes: ClosedRange<Int>) {
            guard let first = answer.json["first_offset"] as? Int else { return }
            for (index, volume) in volumes.enumerated() {
                acknowledged.append(AcknowledgedEvent(offset: UInt64(first + index), type: "tick", field: "volume", value: volume))
            }
        }
        var refused: (key: String, body: String, volumes: ClosedRange<Int>, answer: WireAnswer)?
        for attempt in 0..<400 {
            let key = "full-\(attempt)", text = body(2_000), volumes = (volume - 1_999)...volume
            let answer = try client.send("POST", "/ticks", key: keys.users[0], headers: ["Idempotency-Key": key], body: text)
            if answer.status == 200 {
                acknowledge(answer, volumes: volumes)
                continue
            }
            refused = (key, text, volumes, answer)
            break
        }
        let (key, text, refusedVolumes, answer) = try #require(refused, "the full disk never refused an append")
        #expect(answer.status == 503)
        let error = answer.json["error"] as? [String: Any]
        #expect(error?["code"] as? String == "log_unavailable")
        #expect((error?["message"] as? String)?.contains(fullDisk.logError) == true, "\(answer.text)")

        // Health says why, and readiness is withdrawn; other writes are refused the same way, not with a 500.
        let health = try client.send("GET", "/health")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "degraded", "\(health.text)")
        let logHealth = (health.json["components"] as? [String: Any])?["log"] as? [String: Any]
        #expect(logHealth?["status"] as? String == "degraded")
        #expect((logHealth?["error"] as? String)?.contains(fullDisk.logError) == true, "\(health.text)")
        #expect(try client.send("GET", "/health/ready").status == 503)
        // The projections cannot commit either: they keep serving what they had and say why they wait.
        var refusedCommit: String?
        let refusalDeadline = ContinuousClock.now + .seconds(15)
        while refusedCommit == nil && ContinuousClock.now < refusalDeadline {
            let projections = (try client.send("GET", "/health").json["components"] as? [String: Any])?["projections"] as? [String: [String: Any]]
            refusedCommit = projections?.values.compactMap { $0["error"] as? String }.first { $0.contains("committing offsets") }
            if refusedCommit == nil { usleep(20_000) }
        }
        #expect(refusedCommit != nil, "no projection reported a refused commit")
        let alertDuringFull = try client.send("POST", "/alerts", key: keys.users[0], body: #"{"token":102,"condition":"price_above","price":1}"#)
        #expect(alertDuringFull.status == 503, "\(alertDuringFull.text)")
        #expect(try client.send("POST", "/ticks", key: keys.users[0], headers: ["Idempotency-Key": key], body: text).status == 503)
        let firingsWhileFull = (try client.send("GET", "/alerts/\(alertID)/firings", key: keys.users[0]).json["items"] as? [Any])?.count ?? 0

        // Space returns: the refused request, retried with its key, is stored; health is ok again.
        if let disk { disk.drain() } else { try limit.lift() }
        let retried = try client.send("POST", "/ticks", key: keys.users[0], headers: ["Idempotency-Key": key], body: text)
        #expect(retried.status == 200, "\(retried.text)")
        #expect(retried.json["accepted"] as? Int == 2_000)
        acknowledge(retried, volumes: refusedVolumes)
        try server.waitForHealth("ok", within: .seconds(30))
        #expect(try client.send("GET", "/health/ready").status == 200)
        // The alert engine carries on: the ticks appended after the disk filled fire too.
        let deadline = ContinuousClock.now + .seconds(30)
        var firings = firingsWhileFull
        while firings <= firingsWhileFull && ContinuousClock.now < deadline {
            firings = (try client.send("GET", "/alerts/\(alertID)/firings", key: keys.users[0]).json["items"] as? [Any])?.count ?? 0
            usleep(20_000)
        }
        #expect(firings > firingsWhileFull, "no firing appended after space returned")
        #expect(server.stop() == 0)

        // Nothing acknowledged was lost and nothing refused was half-stored.
        let ticks = try runTape(["dump", "--data", data, "--type", "tick"], scratch: root)
        let volumes = ticks.output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["volume"] as? Int
        }
        #expect(volumes.count == acknowledged.count)
        #expect(Set(volumes).count == volumes.count)
        // The state the projections committed through the refusals equals a rebuild, the log verifies,
        // every acknowledged tick is at its offset, and the alert engine's firings audit clean.
        let copy = root + "/copy"
        try FileManager.default.copyItem(atPath: data, toPath: copy)
        var times = PhaseTimes()
        try CrashCycleTests.checkCrashedCopy(copy, acknowledged: acknowledged, context: "after the full disk", scratch: root, times: &times)
    }
}
