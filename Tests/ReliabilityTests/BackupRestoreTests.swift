import EventLog
import Foundation
@testable import Gateway
import Projections
import Services
import Testing
import TapeTestSupport

/// `tape backup` and `tape restore` as an operator runs them: a real `tape serve --demo` appending
/// ticks while the backup copies, real files, a restored server answering over real sockets.
@Suite(.serialized) struct BackupRestoreTests {
    @Test func aBackupTakenWhileTheServerAppendsRestoresToTheSameEventsAndServes() throws {
        let root = makeTemporaryDirectory("tape-backup")
        defer { removeDirectory(root) }
        let data = root + "/data", backup = root + "/backup", restored = root + "/restored"

        // Small segments, so the backup holds sealed segments and the open one.
        let server = try RunningServer(["--demo", "--data", data, "--segment-bytes", "1048576", "--feed-rate", "2000"], logs: root + "/serve.err")
        let instruments = try server.instrumentCount()
        #expect(instruments > 0)
        try poll("the feed appends ticks") { try server.ticksAppended() >= 2_000 }

        let endBefore = try LogReader(directory: data + "/log").endOffset()
        let run = try runTape(["backup", "--data", data, "--to", backup], in: root)
        #expect(run.status == 0, "\(run.errors)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: backup + "/backup.json"))) as? [String: Any])
        let end = try #require((manifest["end_offset"] as? NSNumber)?.uint64Value)
        #expect(run.output.contains("end offset \(end)"))
        #expect(end >= endBefore)
        #expect((manifest["segments"] as? [Any])?.count ?? 0 >= 2)
        // The server went on appending past what the backup copied.
        try poll("the server appends past the backup") { try LogReader(directory: data + "/log").endOffset() > end + 100 }

        // Every checkpoint in the copied database is at or before the copied log end.
        let checkpoints = try checkpointOffsets(in: backup + "/projections.sqlite")
        #expect(Set(checkpoints.keys).isSuperset(of: ProjectionSet.names))
        for (name, offset) in checkpoints { #expect(offset <= end, "\(name) checkpoint \(offset) is past the log end \(end)") }
        #expect(server.stop() == 0)

        let restore = try runTape(["restore", "--from", backup, "--data", restored], in: root)
        #expect(restore.status == 0, "\(restore.errors)")
        #expect(restore.output.contains("end offset \(end)"))
        let verify = try runTape(["verify", "--data", restored], in: root)
        #expect(verify.status == 0)
        #expect(verify.output.contains("ok: every frame checks out"))
        #expect(!verify.output.contains("stale"), "every restored index matches its segment")

        // The backup is a byte-identical prefix of the original log.
        let copy = try runTape(["dump", "--data", restored], in: root)
        let original = try runTape(["dump", "--data", data, "--limit", String(end)], in: root)
        #expect(copy.status == 0 && original.status == 0)
        #expect(copy.output.utf8.count > 0)
        #expect(copy.output.split(separator: "\n").count == Int(end))
        #expect(copy.output == original.output)

        let again = try RunningServer(["--demo", "--data", restored], logs: root + "/serve-restored.err")
        #expect(try again.instrumentCount() == instruments)
        let health = try again.get("/health")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "ok")
        try poll("the restored projections catch up") {
            let projections = try again.get("/health").json["components"].flatMap { ($0 as? [String: Any])?["projections"] as? [String: Any] } ?? [:]
            return projections.count == ProjectionSet.names.count && projections.values.allSatisfy { (($0 as? [String: Any])?["next_offset"] as? NSNumber)?.uint64Value ?? 0 >= end }
        }
        let stats = try again.get("/instruments/stats")
        #expect(stats.json["total_active"] as? Int == instruments)
        #expect(again.stop() == 0)
    }

    @Test func backupRefusesANonEmptyDestinationAndTouchesNothingInIt() throws {
        let root = makeTemporaryDirectory("tape-backup")
        defer { removeDirectory(root) }
        try writeLog(root + "/data/log", batches: 3)
        try FileManager.default.createDirectory(atPath: root + "/dest", withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: root + "/dest/notes.txt"))

        let run = try runTape(["backup", "--data", root + "/data", "--to", root + "/dest"], in: root)
        #expect(run.status != 0)
        #expect(run.errors.contains("is not empty"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/dest") == ["notes.txt"])
    }

    @Test func backupRefusesADirectoryWithoutALog() throws {
        let root = makeTemporaryDirectory("tape-backup")
        defer { removeDirectory(root) }
        let run = try runTape(["backup", "--data", root + "/nothing", "--to", root + "/dest"], in: root)
        #expect(run.status != 0)
        #expect(run.errors.contains("no log in \(root)/nothing/log"))
        #expect(!FileManager.default.fileExists(atPath: root + "/dest"))
    }

    @Test func restoreRefusesADataDirectoryThatHoldsALogAndLeavesItAlone() throws {
        let root = makeTemporaryDirectory("tape-backup")
        defer { removeDirectory(root) }
        try writeLog(root + "/data/log", batches: 3)
        #expect(try runTape(["backup", "--data", root + "/data", "--to", root + "/backup"], in: root).status == 0)
        try writeLog(root + "/other/log", batches: 5)
        let before = try runTape(["dump", "--data", root + "/other"], in: root).output

        let run = try runTape(["restore", "--from", root + "/backup", "--data", root + "/other"], in: root)
        #expect(run.status != 0)
        #expect(run.errors.contains("already holds a log"))
        #expect(try runTape(["dump", "--data", root + "/other"], in: root).output == before)
    }

    @Test func restoreRefusesWhileAnotherProcessHoldsTheWriterLock() throws {
        let root = makeTemporaryDirectory("tape-backup")
        defer { removeDirectory(root) }
        try writeLog(root + "/data/log", batches: 2)
        #expect(try runTape(["backup", "--data", root + "/data", "--to", root + "/backup"], in: root).status == 0)
        // This test process holds the lock, as a server starting on the directory would.
        let lock = try LogLock(directory: root + "/target/log")

        let run = try runTape(["restore", "--from", root + "/backup", "--data", root + "/target"], in: root)
        #expect(run.status != 0)
        #expect(run.errors.contains("is locked by process \(getpid())"))
        #expect(try segmentNames(in: root + "/target/log").isEmpty)
        lock.release()
        #expect(try runTape(["restore", "--from", root + "/backup", "--data", root + "/target"], in: root).status == 0)
    }

    @Test func restoreRefusesABackupThatDoesNotMatchItsManifestAndKeepsNothing() throws {
        let root = makeTemporaryDirectory("tape-backup")
        defer { removeDirectory(root) }
        try writeLog(root + "/data/log", batches: 4)
        #expect(try runTape(["backup", "--data", root + "/data", "--to", root + "/backup"], in: root).status == 0)
        let segment = try #require(try segmentNames(in: root + "/backup/log").last)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: root + "/backup/log/" + segment))
        try handle.truncate(atOffset: try handle.seekToEnd() - 1)
        try handle.close()

        let run = try runTape(["restore", "--from", root + "/backup", "--data", root + "/target"], in: root)
        #expect(run.status != 0)
        #expect(try segmentNames(in: root + "/target/log").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root + "/target/projections.sqlite"))

        try FileManager.default.removeItem(atPath: root + "/backup/backup.json")
        let incomplete = try runTape(["restore", "--from", root + "/backup", "--data", root + "/target"], in: root)
        #expect(incomplete.status != 0)
        #expect(incomplete.errors.contains("not a complete tape backup"))
    }

    @Test func aRestoreKilledHalfWayIsNeverServedAndARerunRedoesIt() throws {
        let root = makeTemporaryDirectory("tape-backup")
        defer { removeDirectory(root) }
        // Enough ticks (hard to compress) over small segments that the restore takes a while.
        let log = try EventLog(directory: root + "/data/log", options: LogOptions(segmentSize: 1 << 20, durability: .never))
        var random = SplitMix64(seed: 7)
        for batch in 0..<200 {
            try log.append((0..<1_000).map { i in
                Record(time: Timestamp(nanoseconds: Int64(batch * 1_000 + i) * 1_000_000),
                       event: .tick(Tick(token: UInt32(random.next() % 2_000), price: Int64(random.next() % 1_000_000), volume: random.next() % 10_000)))
            })
        }
        try log.close()
        #expect(try runTape(["backup", "--data", root + "/data", "--to", root + "/backup"], in: root).status == 0)

        let target = root + "/target", marker = target + "/log/" + LogBackup.restoreMarker
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tapeExecutable)
        process.arguments = ["restore", "--from", root + "/backup", "--data", target]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning && !FileManager.default.fileExists(atPath: marker) { usleep(200) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        if FileManager.default.fileExists(atPath: marker) {
            // Killed half way: no writer opens what it left, and a rerun starts over.
            let serve = try runTape(["serve", "--data", target, "--port", "0", "--auth", "off"], in: root)
            #expect(serve.status != 0)
            #expect(serve.errors.contains("interrupted restore"))
            let again = try runTape(["restore", "--from", root + "/backup", "--data", target], in: root)
            #expect(again.status == 0, "\(again.errors)")
            #expect(again.errors.contains("holds an interrupted restore; removing what it copied"))
        } else {
            Issue.record("the restore finished before it could be killed; the interrupted case was not exercised")
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
        let copy = try runTape(["dump", "--data", target], in: root)
        #expect(copy.output == (try runTape(["dump", "--data", root + "/data"], in: root)).output)
        #expect(copy.output.split(separator: "\n").count == 200_000)
    }

    @Test func theOpenSegmentIsCopiedUpToItsLastWholeBatchAndATornTailIsLeftOut() throws {
        let root = makeTemporaryDirectory("tape-backup")
        defer { removeDirectory(root) }
        let events = try writeLog(root + "/log", batches: 5)
        let segment = root + "/log/" + (try #require(try segmentNames(in: root + "/log").last))
        // A torn write: the start of a batch (a copy of the first header and a few frame bytes).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: bytes.prefix(BatchHeader.size + 10))
        try handle.close()

        let summary = try LogBackup.copy(from: root + "/log", to: root + "/copy")
        #expect(summary.endOffset == events)
        #expect(summary.bytes == Int64(bytes.count))
        #expect(try LogInspector.verify(directory: root + "/copy").isClean)
    }

    @Test func damageFollowedByValidBatchesInTheOpenSegmentStopsTheBackup() throws {
        let root = makeTemporaryDirectory("tape-backup")
        defer { removeDirectory(root) }
        try writeLog(root + "/log", batches: 5)
        let segment = root + "/log/" + (try #require(try segmentNames(in: root + "/log").last))
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: segment))
        try handle.seek(toOffset: UInt64(BatchHeader.size + 12))
        let original = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: UInt64(BatchHeader.size + 12))
        try handle.write(contentsOf: Data([original[0] ^ 0xFF]))
        try handle.close()

        let error = #expect(throws: LogError.self) { try LogBackup.copy(from: root + "/log", to: root + "/copy") }
        guard case .corrupt(let path, let position, _, let reason)? = error else {
            Issue.record("expected a corrupt-log error, got \(String(describing: error))")
            return
        }
        #expect(path == segment)
        #expect(position == 0)
        #expect(reason.contains("valid batches follow"))
    }
}

// MARK: support

/// The segment file names of a log directory, ascending (none if it does not exist).
private func segmentNames(in directory: String) throws -> [String] {
    guard FileManager.default.fileExists(atPath: directory) else { return [] }
    return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted()
}

/// Writes a closed one-segment log of `batches` batches of 50 delistings; returns the number of events.
@discardableResult
private func writeLog(_ directory: String, batches: Int) throws -> UInt64 {
    let log = try EventLog(directory: directory, options: LogOptions(durability: .never))
    var token: UInt32 = 1
    for batch in 0..<batches {
        let records = (0..<50).map { i in
            defer { token += 1 }
            return Record(time: Timestamp(nanoseconds: Int64(batch * 1_000 + i) * 1_000_000_000), event: .instrumentDelisted(token: token))
        }
        try log.append(records)
    }
    try log.close()
    return UInt64(token - 1)
}

/// What a finished `tape` command printed.
private struct TapeRun {
    var status: Int32
    var output: String
    var errors: String
}

/// Runs `tape` to completion; its output goes through files, so a large dump cannot fill a pipe.
private func runTape(_ arguments: [String], in directory: String) throws -> TapeRun {
    let name = directory + "/run-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: name + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: name + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: name + ".out")
        try? FileManager.default.removeItem(atPath: name + ".err")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tapeExecutable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TAPE_") }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: name + ".out"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: name + ".err"))
    try process.run()
    process.waitUntilExit()
    return TapeRun(status: process.terminationStatus,
                   output: try String(contentsOfFile: name + ".out", encoding: .utf8),
                   errors: try String(contentsOfFile: name + ".err", encoding: .utf8))
}

/// Polls `condition` until it holds, failing after `seconds`.
private func poll(_ what: String, seconds: Double = 120, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try !condition() {
        guard Date() < deadline else { throw BackupTestError(message: "timed out waiting until \(what)") }
        usleep(50_000)
    }
}

private struct BackupTestError: Error { var message: String }

/// Next offsets of every checkpoint (projections and alert engine) in a projections database.
private func checkpointOffsets(in path: String) throws -> [String: UInt64] {
    let db = try Database(path: path)
    var offsets: [String: UInt64] = [:]
    for sql in ["SELECT name, offset FROM checkpoints", "SELECT name, next_offset FROM alert_engine_checkpoint"] {
        let select = try db.prepare(sql)
        while try select.step() { offsets[select.string(at: 0) ?? "?"] = UInt64(select.int64(at: 1)) }
    }
    return offsets
}

/// A `tape serve` process on an ephemeral port, killed if the test ends without stopping it.
private final class RunningServer {
    let process = Process()
    let output = Pipe()
    let port: Int
    private var banner = ""

    init(_ arguments: [String], logs: String) throws {
        _ = FileManager.default.createFile(atPath: logs, contents: nil)
        process.executableURL = URL(fileURLWithPath: tapeExecutable)
        process.arguments = ["serve", "--port", "0"] + arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TAPE_") }
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logs))
        try process.run()
        while !banner.contains("http://") || !banner.hasSuffix("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner += String(decoding: chunk, as: UTF8.self)
        }
        guard let url = banner.range(of: "http://127.0.0.1:") else {
            throw BackupTestError(message: "no URL in the banner: \(banner); see \(logs)")
        }
        port = Int(banner[url.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The count in `tape: serving N instruments on ...`.
    func instrumentCount() throws -> Int {
        guard let range = banner.range(of: "serving "), let count = Int(banner[range.upperBound...].prefix { $0.isNumber }) else {
            throw BackupTestError(message: "no instrument count in the banner: \(banner)")
        }
        return count
    }

    /// Ticks the simulated feed has appended, from `/health`.
    func ticksAppended() throws -> Int {
        let components = try get("/health").json["components"] as? [String: Any]
        let feed = (components?["feeds"] as? [String: Any])?["simulated"] as? [String: Any]
        return feed?["ticks_appended"] as? Int ?? 0
    }

    /// One GET on a fresh connection; the body parsed as a JSON object (empty if it is not one).
    func get(_ path: String) throws -> (status: Int, json: [String: Any]) {
        let socket = try Socket.makeConnected(host: "127.0.0.1", port: port)
        defer { socket.close() }
        try socket.setReceiveTimeout(seconds: 30)
        try socket.writeAll(Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8))
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        reading: while true {
            switch try chunk.withUnsafeMutableBytes({ try socket.read(into: $0) }) {
            case .completed(0): break reading
            case .completed(let n): response += chunk[0..<n]
            case .wouldBlock: throw BackupTestError(message: "timed out reading \(path)")
            }
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n"), let status = Int(text.dropFirst("HTTP/1.1 ".count).prefix(3)) else {
            throw BackupTestError(message: "not an HTTP response to \(path): \(text.prefix(200))")
        }
        let body = Data(text[split.upperBound...].utf8)
        return (status, (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:])
    }

    /// SIGTERM, then the exit status.
    func stop() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }
}
