import EventLog
import Projections

/// Applies a parsed instrument dump to a log: diffs it against the catalog as the catalog's
/// runner has it, appends only the changes, and waits for the catalog to fold them.
/// Used by `tape import instruments`, `POST /instruments/import` and the demo start-up.
public struct InstrumentImporter {
    public let log: EventLog
    public let catalog: InstrumentCatalog
    public let runner: ProjectionRunner

    public init(log: EventLog, catalog: InstrumentCatalog, runner: ProjectionRunner) {
        self.log = log
        self.catalog = catalog
        self.runner = runner
    }

    /// What an import did.
    public struct Outcome: Sendable, CustomStringConvertible {
        public var summary: InstrumentImport.Summary
        public var offsets: ClosedRange<UInt64>?
        public var activeInstruments: Int

        public var description: String {
            let s = summary
            let range = offsets.map { "offsets \($0.lowerBound)...\($0.upperBound)" } ?? "nothing appended"
            return "listed \(s.listed), updated \(s.updated), delisted \(s.delisted), unchanged \(s.unchanged), "
                + "skipped \(s.skipped), rejected \(s.rejected.count); \(range); \(activeInstruments) active instruments"
        }
    }

    /// Imports `file`; `exchanges` scopes delisting (nil: the exchanges present in the file).
    /// The runner must not be running its own thread (it is driven synchronously here).
    public func run(_ file: KiteInstrumentCSV.ParseResult, exchanges: Set<String>?, at time: Timestamp) throws -> Outcome {
        try runner.catchUp()
        var active: [UInt32: Instrument] = [:]
        for record in catalog.snapshot.records where record.isActive { active[record.token] = record.instrument }
        let diff = InstrumentImport(catalog: active, file: file, scope: exchanges.map { .exchanges($0) } ?? .exchangesInFile)
        let records = diff.records(at: time)
        var appended: ClosedRange<UInt64>? = nil
        var start = 0
        while start < records.count {
            let chunk = Array(records[start..<min(start + 10_000, records.count)])
            let range = try log.append(chunk)
            appended = (appended?.lowerBound ?? range.lowerBound)...range.upperBound
            start += chunk.count
        }
        try runner.catchUp()
        return Outcome(summary: diff.summary, offsets: appended, activeInstruments: catalog.snapshot.total(matching: CatalogFilter()))
    }
}
