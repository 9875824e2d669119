import EventLog

/// The events that bring the active instrument catalog in line with one instrument master file.
///
/// A pure diff: no clock, no I/O. Importing the same file twice yields no events the second
/// time. A value; build it on any thread.
public struct InstrumentImport: Hashable, Sendable {
    /// Which exchanges the file speaks for: active instruments of these exchanges that the
    /// file lacks are delisted.
    public enum Scope: Hashable, Sendable {
        /// The exchanges that appear in the file's good rows (a per-exchange dump such as
        /// Kite's `/instruments/NFO` then delists nothing elsewhere; an empty file delists nothing).
        case exchangesInFile
        /// Exactly these exchanges (`--exchange`); rows of other exchanges are skipped.
        case exchanges(Set<String>)
    }

    /// What the import does, row by row.
    public struct Summary: Hashable, Sendable, CustomStringConvertible {
        public var listed = 0
        public var updated = 0
        public var delisted = 0
        public var unchanged = 0
        /// Good rows of exchanges outside an explicit scope.
        public var skipped = 0
        /// Rows the parser or the import rejected, by line.
        public var rejected: [InstrumentRowError] = []

        public init() {}

        public var description: String {
            var text = "listed \(listed), updated \(updated), delisted \(delisted), unchanged \(unchanged)"
            if skipped > 0 { text += ", skipped \(skipped) outside the exchange scope" }
            text += ", rejected \(rejected.count)"
            for error in rejected { text += "\n  " + error.description }
            return text
        }
    }

    /// The exchanges whose absent instruments were delisted.
    public let exchanges: Set<String>
    /// Delistings, then updates, then listings, each sorted by token.
    public let events: [Event]
    public let summary: Summary

    /// Diffs a parsed file against `catalog`, the ACTIVE instruments by token.
    public init(catalog: [UInt32: Instrument], file: KiteInstrumentCSV.ParseResult, scope: Scope = .exchangesInFile) {
        self.init(catalog: catalog, rows: file.rows, rejected: file.errors, scope: scope)
    }

    /// Diffs rows against `catalog`, the ACTIVE instruments by token (a delisted token is
    /// absent, so its return is a listing); `rejected` are the rows the parser refused.
    public init(
        catalog: [UInt32: Instrument], rows: [KiteInstrumentCSV.Row],
        rejected: [InstrumentRowError] = [], scope: Scope = .exchangesInFile
    ) {
        var summary = Summary()
        summary.rejected = rejected
        let exchanges: Set<String> = switch scope {
        case .exchangesInFile: Set(rows.map(\.instrument.exchange))
        case .exchanges(let names): Set(names.map { $0.uppercased() })
        }

        var firstLine: [UInt32: Int] = [:]
        var listed: [Instrument] = []
        var updated: [Instrument] = []
        for row in rows {
            let instrument = row.instrument
            guard exchanges.contains(instrument.exchange) else {
                summary.skipped += 1
                continue
            }
            if let line = firstLine[instrument.token] {
                summary.rejected.append(InstrumentRowError(
                    line: row.line, token: instrument.token, reason: .duplicateToken(instrument.token, firstLine: line)))
                continue
            }
            firstLine[instrument.token] = row.line
            switch catalog[instrument.token] {
            case nil: listed.append(instrument)
            case let current? where current != instrument: updated.append(instrument)
            case _?: summary.unchanged += 1
            }
        }

        // A row rejected for a bad field still names its instrument: absent is not the same as unreadable.
        let unreadable = Set(rejected.compactMap(\.token))
        let delisted = catalog.values
            .filter { exchanges.contains($0.exchange) && firstLine[$0.token] == nil && !unreadable.contains($0.token) }
            .map(\.token)
            .sorted()

        summary.listed = listed.count
        summary.updated = updated.count
        summary.delisted = delisted.count
        summary.rejected.sort { ($0.line, $0.token ?? 0) < ($1.line, $1.token ?? 0) }
        // Delistings first, then updates, then listings: a trading symbol handed from one
        // token to another is never held by two active instruments at once in between.
        self.events = delisted.map { .instrumentDelisted(token: $0) }
            + updated.sorted { $0.token < $1.token }.map { .instrumentUpdated($0) }
            + listed.sorted { $0.token < $1.token }.map { .instrumentListed($0) }
        self.exchanges = exchanges
        self.summary = summary
    }

    /// The events stamped with the import's time, ready to append.
    public func records(at time: Timestamp) -> [Record] {
        events.map { Record(time: time, event: $0) }
    }
}
