import EventLog
import Foundation
import Glibc

/// Command-line arguments: `--name value`, `--name=value`, bare `--flag`, and positionals.
struct Arguments {
    private(set) var positionals: [String] = []
    private var options: [String: String] = [:]
    private var used: Set<String> = []

    /// Flags that never take a value.
    static let switches: Set<String> = ["demo", "diff", "json", "follow", "expired", "skip-bad", "problems"]

    init(_ raw: [String]) throws(UsageError) {
        var i = 0
        while i < raw.count {
            let arg = raw[i]
            if arg.hasPrefix("--") {
                let body = String(arg.dropFirst(2))
                if let eq = body.firstIndex(of: "=") {
                    options[String(body[..<eq])] = String(body[body.index(after: eq)...])
                } else if Arguments.switches.contains(body) {
                    options[body] = "true"
                } else {
                    guard i + 1 < raw.count else { throw UsageError("--\(body) needs a value") }
                    options[body] = raw[i + 1]
                    i += 1
                }
            } else {
                positionals.append(arg)
            }
            i += 1
        }
    }

    mutating func string(_ name: String) -> String? {
        used.insert(name)
        return options[name]
    }

    mutating func flag(_ name: String) -> Bool { string(name) == "true" }

    mutating func integer(_ name: String, range: ClosedRange<Int64> = 0...Int64.max) throws(UsageError) -> Int64? {
        guard let text = string(name) else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw UsageError("--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
        }
        return value
    }

    /// A time flag: a date (2026-11-27), a UTC time (2026-11-27T09:15:00Z) or Unix seconds; nil when absent.
    mutating func time(_ name: String) throws(UsageError) -> Timestamp? {
        guard let text = string(name) else { return nil }
        guard let time = Timestamp(iso8601: text) else {
            throw UsageError("--\(name) must be a date (2026-11-27), a UTC time (2026-11-27T09:15:00Z) or Unix seconds, got '\(text)'")
        }
        return time
    }

    /// The data directory (`--data`, else `TAPE_DATA`, else `./data`).
    mutating func dataDirectory() -> String {
        string("data") ?? (getenv("TAPE_DATA").map { String(cString: $0) }) ?? "data"
    }

    /// Fails on options nobody asked for and on positional arguments past the `positionals` the
    /// command takes (a subcommand and a file, say), so typos do not pass silently.
    func rejectUnknown(positionals taken: Int = 0) throws(UsageError) {
        let unknown = Set(options.keys).subtracting(used)
        if let name = unknown.sorted().first { throw UsageError("unknown option --\(name)") }
        if positionals.count > taken {
            let extra = positionals[taken]
            throw UsageError("unexpected argument '\(extra)'" + (extra.hasPrefix("-") ? " (options start with --)" : ""))
        }
    }
}

/// Fails unless `logDirectory` holds a log. For commands that read one, or rebuild projections
/// from one: a mistyped `--data` must not pass for an empty log, nor leave a new one behind.
func requireLog(_ logDirectory: String) throws(MissingLog) {
    guard let bases = try? EventLog.segmentBases(in: logDirectory), !bases.isEmpty else { throw MissingLog(directory: logDirectory) }
}

/// A command that reads a log was pointed at a directory without one; exits with status 66 (EX_NOINPUT).
struct MissingLog: Error, CustomStringConvertible {
    var directory: String
    var description: String {
        "no log in \(directory): --data (or TAPE_DATA) must name a Tape data directory; `tape serve` and `tape import` create one"
    }
}

/// A mistake in how the command was called; exits with status 64 (EX_USAGE).
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes a line to standard error.
func printError(_ text: String, newline: Bool = true) {
    let bytes = Array((newline ? text + "\n" : text).utf8)
    bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
}

/// Writes bytes to standard output without Foundation buffering surprises.
func writeOut(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
            let n = write(1, raw.baseAddress! + done, raw.count - done)
            if n <= 0 { if errno == EINTR { continue }; return }
            done += n
        }
    }
}
