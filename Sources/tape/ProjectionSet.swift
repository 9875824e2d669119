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
}

/// Prints a runner's progress while `work` runs: a bar with events/s and ETA on a terminal,
/// a plain line every few seconds otherwise.
func withProgress<T>(of runner: ProjectionRunner, end: UInt64, _ work: () throws -> T) rethrows -> T {
    let isTerminal = isatty(2) != 0
    let done = Monitor(false)
    let start = ContinuousClock.now
    let reporter = Thread {
        var lastLine = ContinuousClock.now
        while !done.withLock({ $0 }) {
            usleep(isTerminal ? 200_000 : 100_000)
            let offset = runner.health.nextOffset
            let elapsed = (ContinuousClock.now - start).seconds
            let rate = elapsed > 0 ? Double(offset) / elapsed : 0
            let eta = rate > 0 && end > offset ? Double(end - offset) / rate : 0
            let fraction = end > 0 ? min(1, Double(offset) / Double(end)) : 1
            if isTerminal {
                let width = 30
                let filled = Int(fraction * Double(width))
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                printError("\r\(runner.projection.name) [\(bar)] \(offset)/\(end) \(Int(rate)) events/s ETA \(Int(eta))s\u{1B}[K", newline: false)
            } else if (ContinuousClock.now - lastLine).seconds >= 2 {
                printError("\(runner.projection.name): \(offset)/\(end) events, \(Int(rate)) events/s, ETA \(Int(eta))s")
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
