import EventLog
import Foundation
import Services
import Projections

/// `tape backup` and `tape restore`.
///
/// Why a hot backup is consistent: the projections database is copied first, as one SQLite
/// snapshot, then the log. Every checkpoint in that snapshot names an offset the projection had
/// already read from the log, and a projection only reads events the writer had finished
/// writing. The log copy starts later and takes every complete batch on disk, so it reaches at
/// least every checkpoint: a restored server resumes each projection from its checkpoint and
/// folds the rest of the copied log, exactly as after a restart. (Copying the log first would
/// let the server append and checkpoint past the copied log end before the database copy.)
enum BackupCommands {
    static func backup(_ args: inout Arguments) throws -> Int32 {
        let data = args.dataDirectory()
        guard let destination = args.string("to") else { throw UsageError("tape backup needs --to DEST, a new or empty directory") }
        try args.rejectUnknown()
        let logDirectory = data + "/log"
        try requireLog(logDirectory)
        if File.exists(destination), case let entries = try File.list(destination), !entries.isEmpty {
            throw BackupError("\(destination) is not empty (\(entries.count) entries, e.g. \(entries.sorted()[0])): back up into a new or empty directory")
        }
        try File.makeDirectory(destination)
        do {
            var databaseBytes: Int64?
            var checkpoints: [(name: String, offset: UInt64)] = []
            let databasePath = ProjectionSet.databasePath(data)
            if File.exists(databasePath) {
                let copy = destination + "/" + BackupManifest.databaseName
                try Database(path: databasePath).backup(to: copy)
                databaseBytes = try File(path: copy, flags: O_RDONLY).size()
                checkpoints = try self.checkpoints(in: copy)
            }
            let log = try LogBackup.copy(from: logDirectory, to: destination + "/log")
            try checkConsistency(checkpoints, logEnd: log.endOffset)
            let report = try LogInspector.verify(directory: destination + "/log")
            guard report.isClean else {
                throw BackupError("the copied log does not verify:\n" + report.problems.map(\.description).joined(separator: "\n"))
            }
            let manifest = BackupManifest(
                createdAt: Timestamp.now(), source: data, startOffset: log.startOffset, endOffset: log.endOffset,
                segments: log.segments.map { .init(name: $0.name, firstOffset: $0.firstOffset, endOffset: $0.endOffset, bytes: $0.bytes) },
                databaseBytes: databaseBytes, checkpoints: checkpoints)
            try File.writeAtomically(Array(manifest.json.utf8), to: destination + "/" + BackupManifest.fileName)
            try File.synchronizeDirectory(destination)
            print("backed up \(data) to \(destination): \(log.segments.count) segments, \(log.bytes) bytes, offsets \(log.startOffset)..<\(log.endOffset)")
            if let databaseBytes {
                let behind = checkpoints.map { "\($0.name) \($0.offset)" }.joined(separator: ", ")
                print("projections: \(databaseBytes) bytes; checkpoints \(behind) (all at or before the log end)")
            } else {
                print("projections: none in \(data) (a restored server builds them from the log)")
            }
            print("end offset \(log.endOffset)")
            return 0
        } catch {
            for name in ["log", BackupManifest.fileName] + databaseFiles(BackupManifest.databaseName) {
                try? FileManager.default.removeItem(atPath: destination + "/" + name)
            }
            throw error
        }
    }

    static func restore(_ args: inout Arguments) throws -> Int32 {
        guard let backup = args.string("from") else { throw UsageError("tape restore needs --from BACKUP, a directory made by tape backup") }
        let data = args.dataDirectory()
        try args.rejectUnknown()
        let manifest = try BackupManifest.read(from: backup)
        let logDirectory = data + "/log", databasePath = ProjectionSet.databasePath(data)
        let marker = logDirectory + "/" + LogBackup.restoreMarker
        if !File.exists(marker) { try refuseExistingData(logDirectory: logDirectory, databasePath: databasePath) }
        // The lock keeps a server from starting on the directory while it is half restored.
        let lock = try LogLock(directory: logDirectory)
        defer { lock.release() }
        if File.exists(marker) {
            // Only a restore writes the marker, so what is here is the part an interrupted one copied.
            printError("tape: \(data) holds an interrupted restore; removing what it copied and starting again")
            removeRestoredFiles(logDirectory: logDirectory, databasePath: databasePath)
        } else {
            try refuseExistingData(logDirectory: logDirectory, databasePath: databasePath)
        }
        // Until the marker goes, no writer opens the directory: a restore killed half way is redone, never served.
        try File.writeAtomically([], to: marker)
        try File.synchronizeDirectory(logDirectory)
        do {
            let log = try LogBackup.restore(from: backup + "/log", to: logDirectory)
            let copied = log.segments.map { BackupManifest.Segment(name: $0.name, firstOffset: $0.firstOffset, endOffset: $0.endOffset, bytes: $0.bytes) }
            guard copied == manifest.segments, log.endOffset == manifest.endOffset else {
                throw BackupError("\(backup)/log does not match \(BackupManifest.fileName): the manifest lists \(manifest.segments.count) segments "
                                  + "ending at offset \(manifest.endOffset), the directory holds \(copied.count) ending at \(log.endOffset)")
            }
            if manifest.databaseBytes != nil {
                try Database(path: backup + "/" + BackupManifest.databaseName).backup(to: databasePath)
                try checkConsistency(try checkpoints(in: databasePath), logEnd: log.endOffset)
            }
            var verify = try Arguments(["--data", data])
            guard try LogCommands.verify(&verify) == 0 else { throw BackupError("the restored log does not verify; nothing was kept") }
            try File.remove(marker)
            try File.synchronizeDirectory(logDirectory)
            print("restored \(backup) (taken \(manifest.createdAt.iso8601) by tape \(manifest.tapeVersion)) into \(data): "
                  + "\(log.segments.count) segments, offsets \(log.startOffset)..<\(log.endOffset)"
                  + (manifest.databaseBytes == nil ? "; no projections database (tape serve builds it)" : ""))
            print("end offset \(log.endOffset)")
            return 0
        } catch {
            removeRestoredFiles(logDirectory: logDirectory, databasePath: databasePath)
            try? File.remove(marker)
            throw error
        }
    }

    /// Removes the segments, indexes and database a restore copied (the caller holds the lock
    /// and knows the directory held none of them before).
    private static func removeRestoredFiles(logDirectory: String, databasePath: String) {
        for name in (try? File.list(logDirectory)) ?? [] where name.hasSuffix(".seg") || name.hasSuffix(".idx") || name.hasSuffix(".tmp") {
            try? File.remove(logDirectory + "/" + name)
        }
        for name in databaseFiles(databasePath) { try? File.remove(name) }
    }

    /// Refuses a data directory that holds a log or a projections database already.
    private static func refuseExistingData(logDirectory: String, databasePath: String) throws {
        let segments = ((try? File.list(logDirectory)) ?? []).filter { SegmentName.base(of: $0) != nil }
        if !segments.isEmpty {
            throw BackupError("\(logDirectory) already holds a log (\(segments.count) segments): restore only into a new or empty data directory")
        }
        if File.exists(databasePath) {
            throw BackupError("\(databasePath) already exists: restore only into a new or empty data directory")
        }
    }

    /// Every checkpoint in a projections database: the projections' and the alert engine's.
    private static func checkpoints(in path: String) throws -> [(name: String, offset: UInt64)] {
        let db = try Database(path: path)
        var found: [(name: String, offset: UInt64)] = []
        for (table, column) in [("checkpoints", "offset"), ("alert_engine_checkpoint", "next_offset")] where try db.tableExists(table) {
            let select = try db.prepare("SELECT name, \(column) FROM \(table) ORDER BY name")
            while try select.step() {
                let name = select.string(at: 0) ?? "?"
                found.append((name, UInt64(clamping: select.int64(at: 1))))
            }
        }
        return found
    }

    /// A checkpoint past the log end would make a server skip events it never saw: refuse it.
    private static func checkConsistency(_ checkpoints: [(name: String, offset: UInt64)], logEnd: UInt64) throws {
        let ahead = checkpoints.filter { $0.offset > logEnd }
        guard ahead.isEmpty else {
            throw BackupError("inconsistent copy: checkpoints past the log end \(logEnd): "
                              + ahead.map { "\($0.name) at \($0.offset)" }.joined(separator: ", "))
        }
    }

    /// A SQLite database file and the WAL and shared-memory files beside it.
    private static func databaseFiles(_ path: String) -> [String] { [path, path + "-wal", path + "-shm"] }
}
