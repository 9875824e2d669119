import EventLog
import Foundation
import Projections
import Services

/// `tape import ticks FILE`: appends the ticks of a CSV or NDJSON file to the log.
enum TickCommands {
    static let usage = "usage: tape import ticks FILE.csv|FILE.ndjson [--data DIR] [--skip-bad] [--batch N]"
    /// Bad lines printed before the rest are only counted.
    static let maxPrintedRejections = 1_000

    /// Validates every line against the catalog (delisted instruments included: history),
    /// appends the good ones in batches of `--batch` (default 10,000; each one atomic), and
    /// reports each bad line as `FILE: line N: why` on standard error (the first 1,000). Exits
    /// 0 when every line imported, 1 when any was rejected (the good ones are appended all the
    /// same), 0 with `--skip-bad`. Not idempotent: importing a file twice appends it twice.
    static func importTicks(_ args: inout Arguments) throws -> Int32 {
        guard args.positionals.count >= 2 else { throw UsageError(usage) }
        let path = args.positionals[1]
        let data = args.dataDirectory()
        let skipsBad = args.flag("skip-bad")
        let batchSize = Int(try args.integer("batch", range: 1...1_000_000) ?? 10_000)
        try args.rejectUnknown(positionals: 2)

        let log = try EventLog(directory: data + "/log")
        defer { try? log.close() }
        let catalog = InstrumentCatalog()
        let runner = ProjectionRunner(projection: catalog, log: try log.makeReader(), databasePath: ProjectionSet.databasePath(data))
        try runner.catchUp()

        let started = ContinuousClock.now
        let file = try TickFileReader(path: path, instruments: catalog.snapshot, receivedAt: Timestamp.now())
        let isTerminal = isatty(2) != 0
        var imported = 0, rejected = 0
        var offsets: ClosedRange<UInt64>?
        var lastProgress = ContinuousClock.now
        while let chunk = try file.next() {
            for rejection in chunk.rejected {
                rejected += 1
                if rejected <= maxPrintedRejections {
                    if isTerminal { printError("\r\u{1B}[K", newline: false) }
                    printError("\(path): \(rejection)")
                }
            }
            var start = 0
            while start < chunk.records.count {
                let end = min(start + batchSize, chunk.records.count)
                let range = try log.append(Array(chunk.records[start..<end]))
                offsets = (offsets?.lowerBound ?? range.lowerBound)...range.upperBound
                imported += end - start
                start = end
            }
            if isTerminal && ContinuousClock.now - lastProgress > .milliseconds(200) {
                lastProgress = ContinuousClock.now
                let percent = file.size > 0 ? Int(chunk.bytesRead * 100 / file.size) : 100
                printError("\r\(path): \(percent)% \(imported) ticks, \(rejected) rejected, \(rate(imported, since: started)) ticks/s\u{1B}[K", newline: false)
            }
        }
        if isTerminal { printError("\r\u{1B}[K", newline: false) }
        if rejected > maxPrintedRejections { printError("\(path): \(rejected - maxPrintedRejections) more rejected lines not shown") }
        let range = offsets.map { "offsets \($0.lowerBound)...\($0.upperBound)" } ?? "nothing appended"
        let seconds = (ContinuousClock.now - started).seconds
        print("imported \(imported) ticks from \(path) (\(file.format.rawValue)), rejected \(rejected) lines; \(range); "
            + "\(String(format: seconds)) s, \(rate(imported, since: started)) ticks/s")
        return rejected == 0 || skipsBad ? 0 : 1
    }

    private static func rate(_ count: Int, since start: ContinuousClock.Instant) -> Int {
        Int(Double(count) / max((ContinuousClock.now - start).seconds, 1e-9))
    }
}
