import EventLog
import Foundation

/// Rebuilds several projections from offset 0 at once: the fast path of `tape rebuild` for all
/// projections, and of `tape-bench rebuild`.
///
/// The projections are dealt to `lanes` threads, those that read ticks (the heavy folds:
/// quotes, candles) spread one to a lane, the rest added to the lightest lanes. Each lane reads
/// the log on its own with its own reader and SQLite connection, and builds and visits only the
/// records of the types its projections consume (`Projection.consumedTypes`): the others are
/// skipped unbuilt. Every `commitInterval` offsets a lane commits its projections' rows and
/// checkpoints in one transaction, so an interrupted rebuild resumes from there like any
/// runner, and the result is the same state (and content hash) as one `ProjectionRunner`
/// rebuild per projection.
///
/// Threads: `run` blocks its caller; each projection is used only by its lane's thread until
/// `run` returns. Nothing else may drive these projections (or their runners) meanwhile.
public final class BulkRebuild {
    /// What one projection's rebuild came to.
    public struct Outcome: Sendable {
        public var name: String
        public var version: Int
        /// The next offset: every entry below it is folded and committed.
        public var nextOffset: UInt64
        public var contentHash: String
    }

    private let projections: [any Projection]
    private let logDirectory: String
    private let databasePath: String
    private let lanes: Int
    private let commitInterval: UInt64

    /// - Parameters:
    ///   - logDirectory: read through a `LogReader` per lane (a reader's scans are serialized, so lanes do not share one).
    ///   - lanes: threads; by default one per core, at most one per projection.
    ///   - commitInterval: offsets between two commits of a lane.
    public init(projections: [any Projection], logDirectory: String, databasePath: String,
                lanes: Int = ProcessInfo.processInfo.activeProcessorCount, commitInterval: UInt64 = 1_000_000) {
        precondition(commitInterval > 0, "commitInterval must be positive")
        self.projections = projections
        self.logDirectory = logDirectory
        self.databasePath = databasePath
        self.lanes = max(1, min(lanes, projections.count))
        self.commitInterval = commitInterval
    }

    /// Rebuilds every projection up to the log's end as of the call; `progress` gets the offset
    /// the slowest lane has reached (from the lanes' threads). Throws the first lane's error.
    @discardableResult
    public func run(progress: (@Sendable (UInt64) -> Void)? = nil) throws -> [Outcome] {
        let end = try LogReader(directory: logDirectory).endOffset()
        let groups = assignLanes()
        let workers = try groups.map { group in
            try Lane(projections: group, log: LogReader(directory: logDirectory), databasePath: databasePath,
                     end: end, commitInterval: commitInterval)
        }
        let reached = Monitor([UInt64](repeating: 0, count: workers.count))
        let errors = Monitor<[Error]>([])
        let finished = DispatchGroup()
        for (i, lane) in workers.enumerated() {
            finished.enter()
            let thread = Thread {
                nameCurrentThread("rebuild-\(i)")
                do {
                    try lane.run { offset in
                        guard let progress else { return }
                        progress(reached.update { $0[i] = offset; return $0.min() ?? offset })
                    }
                } catch {
                    errors.update { $0.append(error) }
                }
                finished.leave()
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
        finished.wait()
        if let first = errors.withLock({ $0.first }) { throw first }
        return projections.map { Outcome(name: $0.name, version: $0.version, nextOffset: end, contentHash: $0.contentHash()) }
    }

    /// Tick readers first, one a lane, then the rest onto the lane with the fewest.
    private func assignLanes() -> [[any Projection]] {
        var groups = Array(repeating: [any Projection](), count: lanes)
        var load = Array(repeating: 0, count: lanes)
        let readsTicks = { (p: any Projection) in p.consumedTypes?.contains(.tick) ?? true }
        for projection in projections.filter(readsTicks) + projections.filter({ !readsTicks($0) }) {
            let lightest = load.indices.min { load[$0] < load[$1] }!
            groups[lightest].append(projection)
            // A tick reader weighs as much as all the others together.
            load[lightest] += readsTicks(projection) ? projections.count : 1
        }
        return groups.filter { !$0.isEmpty }
    }
}

/// One thread's share of a `BulkRebuild`: its projections, reader and connection.
/// Made on the caller's thread, then owned by its lane thread from `run` to the end (hence unchecked).
private final class Lane: @unchecked Sendable {
    let projections: [any Projection]
    let log: LogReader
    let db: Database
    let end: UInt64
    let commitInterval: UInt64
    /// For each type code, the indexes of the projections that consume it.
    private let consumers: [[Int]]
    private let mask: EventTypeMask
    /// The lane's tick readers, when every one takes bare ticks (`TickFolding`); nil otherwise.
    private let tickFolders: [any TickFolding]?

    /// Opens the lane's connection on the caller's thread: lanes opening a new database file at
    /// once would race to switch it to WAL, and the loser fails at once with "database is locked".
    init(projections: [any Projection], log: LogReader, databasePath: String, end: UInt64, commitInterval: UInt64) throws {
        self.projections = projections
        self.log = log
        // A rebuild's commits are large: wait for the other lanes' instead of failing.
        db = try Database(path: databasePath, busyTimeout: .seconds(600))
        // A rebuild writes every row of the fresh tables, in no particular key order: a page cache
        // large enough for them saves SQLite from reading back pages it has just written.
        try db.execute("PRAGMA cache_size = -262144")
        try db.execute(ProjectionCheckpoint.createTable)
        self.end = end
        self.commitInterval = commitInterval
        var consumers = [[Int]](repeating: [], count: 256)
        for (i, projection) in projections.enumerated() {
            for code in 0...255 where projection.consumedTypes?.contains(code: UInt8(code)) ?? true {
                consumers[code].append(i)
            }
        }
        self.consumers = consumers
        var mask = EventTypeMask([])
        for code in 0...255 where !consumers[code].isEmpty { mask.insert(EventType(rawValue: UInt8(code))) }
        self.mask = mask
        let tickReaders = consumers[Int(EventType.tick.rawValue)].map { projections[$0] }
        let folders = tickReaders.compactMap { $0 as? any TickFolding }
        tickFolders = !folders.isEmpty && folders.count == tickReaders.count ? folders : nil
    }

    func run(progress: (UInt64) -> Void) throws {
        for projection in projections {
            try db.transaction {
                for table in projection.tables { try db.execute("DROP TABLE IF EXISTS \"\(table)\"") }
                try projection.migrate(db)
                try ProjectionCheckpoint.write(projection, offset: 0, to: db)
            }
            try projection.load(from: db)
            projection.publish(through: 0)
        }
        var nextCommit = commitInterval
        let consumers = consumers, projections = projections
        func commitIfDue(before offset: UInt64) throws {
            while offset >= nextCommit {
                try commit(through: nextCommit)
                progress(nextCommit)
                nextCommit += commitInterval
            }
        }
        func visit(_ entry: LogEntry) throws -> Bool {
            try commitIfDue(before: entry.offset)
            for i in consumers[Int(entry.event.type.rawValue)] {
                do {
                    try projections[i].apply(entry)
                } catch {
                    throw ProjectionFailure(offset: entry.offset, eventType: entry.event.type.name,
                                            message: "\(projections[i].name): \(error)")
                }
            }
            return true
        }
        if let tickFolders {
            try log.scan(from: 0, limit: Int(end), only: mask, ticks: { offset, time, tick in
                try commitIfDue(before: offset)
                for folder in tickFolders { folder.apply(tick, time: time, offset: offset) }
                return true
            }, visit)
        } else {
            try log.scan(from: 0, limit: Int(end), only: mask, visit)
        }
        try commit(through: end)
        progress(end)
    }

    /// Writes the dirty rows and the checkpoints at `next` in one transaction, then publishes.
    private func commit(through next: UInt64) throws {
        try db.transaction {
            for projection in projections {
                try projection.persist(to: db)
                try ProjectionCheckpoint.write(projection, offset: next, to: db)
            }
        }
        for projection in projections { projection.publish(through: next) }
    }
}

