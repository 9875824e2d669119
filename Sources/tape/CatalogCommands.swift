import EventLog
import Foundation
import Projections
import Services

/// `tape fixtures instruments`, `tape import instruments`.
enum CatalogCommands {
    /// Writes the deterministic demo instrument master as Kite CSV.
    static func fixtures(_ args: inout Arguments) throws -> Int32 {
        guard args.positionals.first == "instruments" else { throw UsageError("usage: tape fixtures instruments [--seed N] [--out FILE] [--expired]") }
        let seed = UInt64(try args.integer("seed") ?? 1)
        let expired = args.flag("expired")
        let out = args.string("out")
        try args.rejectUnknown(positionals: 1)
        let fixture = InstrumentFixture.generate(seed: seed)
        let csv = KiteInstrumentCSV.encode(expired ? fixture.expired : fixture.active)
        if let out {
            try Data(csv.utf8).write(to: URL(fileURLWithPath: out))
            printError("wrote \(expired ? fixture.expired.count : fixture.active.count) instruments to \(out)")
        } else {
            writeOut(Array(csv.utf8))
        }
        return 0
    }

    /// Diffs a Kite CSV against the catalog and appends only the changes.
    static func importInstruments(_ args: inout Arguments) throws -> Int32 {
        guard args.positionals.first == "instruments", args.positionals.count >= 2 else {
            throw UsageError("usage: tape import instruments FILE.csv [--data DIR] [--exchange NSE,NFO]")
        }
        let path = args.positionals[1]
        let data = args.dataDirectory()
        let exchanges = args.string("exchange").map { Set($0.split(separator: ",").map { String($0).uppercased() }) }
        try args.rejectUnknown(positionals: 2)

        let parsed = try KiteInstrumentCSV.parse(contentsOfFile: path)
        let log = try EventLog(directory: data + "/log")
        let summary = try importInstruments(parsed, exchanges: exchanges, into: log, data: data)
        for problem in summary.summary.rejected { printError("\(path): \(problem)") }
        print(summary.description)
        try log.close()
        return summary.summary.rejected.isEmpty ? 0 : 1
    }

    /// The import itself: the catalog caught up from its checkpoint, then the diff appended.
    static func importInstruments(_ parsed: KiteInstrumentCSV.ParseResult, exchanges: Set<String>?,
                                  into log: EventLog, data: String) throws -> InstrumentImporter.Outcome {
        let catalog = InstrumentCatalog()
        let runner = ProjectionRunner(projection: catalog, log: try log.makeReader(), databasePath: ProjectionSet.databasePath(data))
        return try InstrumentImporter(log: log, catalog: catalog, runner: runner).run(parsed, exchanges: exchanges, at: Timestamp.now())
    }
}
