import Foundation
import EventLog
import Projections
import Services

extension ProjectionSet {
    /// The projection called `name`, or a usage error listing the known ones.
    static func named(_ name: String) throws -> any Projection {
        guard let projection = make(name) else {
            throw UsageError("unknown projection '\(name)'; known: \(names.joined(separator: ", "))")
        }
        return projection
    }

    /// Rebuilds the named projections from offset 0 all at once (`BulkRebuild`: one
    /// reading lane per core, records of unread types skipped unbuilt), with progress on
    /// standard error, then prints a line per projection with its content hash.
    static func rebuild(_ names: [String], data: String) throws {
        let projections = try names.map(named)
        let logDirectory = data + "/log"
        let end = try LogReader(directory: logDirectory).endOffset()
        let reached = Monitor<UInt64>(0)
        let rebuild = BulkRebuild(projections: projections, logDirectory: logDirectory, databasePath: databasePath(data))
        let started = ContinuousClock.now
        let outcomes = try withProgress(name: names.count == 1 ? names[0] : "rebuild", end: end, offset: { reached.withLock { $0 } }) {
            try rebuild.run { offset in reached.update { $0 = offset } }
        }
        let seconds = (ContinuousClock.now - started).seconds
        for outcome in outcomes {
            print("\(outcome.name) v\(outcome.version): rebuilt \(outcome.nextOffset) events in \(String(format: seconds)) s "
                + "(\(Int(Double(outcome.nextOffset) / max(seconds, 1e-9))) events/s, all \(outcomes.count) together), hash \(outcome.contentHash)")
        }
    }
}

/// Prints a runner's progress while `work` runs: a bar with events/s and ETA on a terminal,
/// a plain line every few seconds otherwise.
func withProgress<T>(of runner: ProjectionRunner, end: UInt64, _ work: () throws -> T) rethrows -> T {
    try withProgress(name: runner.projection.name, end: end, offset: { runner.health.nextOffset }, work)
}

/// Prints the progress of work that has reached `offset()` of `end` (read from another thread).
func withProgress<T>(name: String, end: UInt64, offset: @escaping @Sendable () -> UInt64, _ work: () throws -> T) rethrows -> T {
    let isTerminal = isatty(2) != 0
    let done = Monitor(false)
    let start = ContinuousClock.now
    let reporter = Thread {
        var lastLine = ContinuousClock.now
        while !done.withLock({ $0 }) {
            usleep(isTerminal ? 200_000 : 100_000)
            let offset = offset()
            let elapsed = (ContinuousClock.now - start).seconds
            let rate = elapsed > 0 ? Double(offset) / elapsed : 0
            let eta = rate > 0 && end > offset ? Double(end - offset) / rate : 0
            let fraction = end > 0 ? min(1, Double(offset) / Double(end)) : 1
            if isTerminal {
                let width = 30
                let filled = Int(fraction * Double(width))
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                printError("\r\(name) [\(bar)] \(offset)/\(end) \(Int(rate)) events/s ETA \(Int(eta))s\u{1B}[K", newline: false)
            } else if (ContinuousClock.now - lastLine).seconds >= 2 {
                printError("\(name): \(offset)/\(end) events, \(Int(rate)) events/s, ETA \(Int(eta))s")
                lastLine = ContinuousClock.now
            }
        }
    }
    reporter.start()
    defer {
        done.update { $0 = true }
        if isTerminal { printError("") }
    }
    return try work()
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
