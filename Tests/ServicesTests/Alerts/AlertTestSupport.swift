import EventLog
import Foundation
import Glibc
@testable import Services
import TapeTestSupport

/// Temporary data directories, the `tape` executable, and log helpers for the alert tests.
enum AlertFixtures {
    /// A fresh data directory; the caller removes it (`defer { remove(dir) }`).
    static func makeDirectory() -> String {
        let path = NSTemporaryDirectory() + "tape-alerts-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// The built `tape` executable, beside the test bundle.
    static var tape: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("tape").path
    }

    /// Runs `tape` to completion; returns its exit status, standard output and standard error.
    static func runTape(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tape)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// A new log in `data/log` holding the script's entries at the script's offsets, open for appending.
    static func makeLog(_ script: AlertScript, in data: String) throws -> EventLog {
        let log = try EventLog(directory: data + "/log", options: LogOptions(durability: .never))
        var start = 0
        while start < script.records.count {
            let end = min(script.records.count, start + 97)
            try log.append(Array(script.records[start..<end]))
            start = end
        }
        return log
    }

    /// Writes the script to a new log, runs the alert engine over it, and closes the log.
    static func runEngine(over script: AlertScript, in data: String) throws {
        let log = try makeLog(script, in: data)
        try AlertEngine(log: log, reader: try log.makeReader(), databasePath: data + "/projections.sqlite").catchUp()
        try log.close()
    }

    /// Every entry of the log in `data/log`.
    static func entries(in data: String) throws -> [LogEntry] {
        let reader = try LogReader(directory: data + "/log")
        return try reader.read(from: 0, limit: Int(try reader.endOffset()))
    }

    /// The logged firings in log order, as (alert, tick offset, version).
    static func loggedFirings(_ entries: [LogEntry]) -> [BruteForceAlerts.Result] {
        var counts: [UInt64: UInt64] = [:]
        return entries.compactMap { entry in
            guard case .alertTriggered(let t) = entry.event else { return nil }
            counts[t.alertID, default: 0] += 1
            return BruteForceAlerts.Result(alertID: t.alertID, tickOffset: t.tickOffset, version: t.ruleVersion, n: counts[t.alertID]!)
        }
    }
}
