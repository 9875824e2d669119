import EventLog
import Foundation
import Synchronization

/// Feeds one projection from the log: catch-up from its checkpoint in batches, then live tail.
///
/// Each batch is one SQLite transaction holding the projection's rows and its checkpoint
/// `(name, version, offset)`, so a crash at any point resumes to the same state a rebuild
/// from offset 0 would give. The projection and the `Database` are used only by the thread
/// currently running the runner: the caller of `catchUp()`/`rebuild()`, or the runner
/// thread after `start()` — never two at once (`runLock`). `health` may be read from any thread.
public final class ProjectionRunner: @unchecked Sendable {
    /// The projection this runner drives.
    public let projection: any Projection
    private let log: any LogSource
    private let databasePath: String
    private let batchSize: Int
    private let clock: @Sendable () -> Timestamp
    private let tailTimeout: Duration
    /// While live, the least time between two reads of the log (and commits): ticks arriving in between are
    /// folded into one transaction, so a bar or quote that changes a hundred times a second is written once, and
    /// a projection of rare events wakes once per interval instead of once per append. `waitUntilApplied`
    /// cuts the wait short.
    private let liveCommitInterval: Duration

    /// Serializes the threads that may run batches (see the type comment).
    private let runLock = NSLock()
    private var database: Database?
    private var nextOffset: UInt64 = 0
    /// While live, a batch with nothing the projection reads (most of a live log is ticks, which
    /// most projections skip) only moves the checkpoint. That commit waits until this long after
    /// the last one (also when the log goes quiet), the next batch that changes rows, or the stop:
    /// an idle projection commits about once a second instead of once per append. Resuming from
    /// an older checkpoint re-reads only entries that change nothing, so the state after a crash
    /// is the same.
    private let idleCheckpointInterval: Duration
    /// When the runner last committed, and whether `nextOffset` is ahead of the checkpoint on disk.
    private var lastCommitAt = ContinuousClock.now
    private var isCheckpointBehind = false
    /// The next offset as of the last health update, for `waitUntilApplied` (condition variable, no polling).
    private let published = Monitor<UInt64>(0)
    private var lastAppliedTime: Timestamp?

    private struct Shared {
        var health: ProjectionHealth
        var isStopRequested = false
        var threadFinished: DispatchSemaphore?
    }
    private let shared: Mutex<Shared>
    /// Ends a live commit wait early: `stop()` sets `stop`, and `waitUntilApplied` sets `hurry`, so that a
    /// command waiting for its event to be folded does not wait out the interval.
    private let wake = Monitor(Wake())
    private struct Wake {
        var stop = false
        var hurry = false
    }

    /// Test hook: runs inside each batch transaction after the rows and checkpoint are written,
    /// just before COMMIT; throwing simulates a crash between the two.
    var beforeCommit: ((UInt64) throws -> Void)?

    /// - Parameters:
    ///   - databasePath: usually `data/projections.sqlite`; the runner opens its own connection.
    ///   - batchSize: entries per transaction.
    ///   - idleCheckpointInterval: while live, how long a checkpoint that only passes over entries
    ///     the projection does not read may wait for its commit.
    ///   - clock: wall clock for `health.updatedAt` only; never reaches `apply`.
    public init(projection: any Projection, log: any LogSource, databasePath: String, batchSize: Int = 10_000,
                tailTimeout: Duration = .milliseconds(200), liveCommitInterval: Duration = .zero,
                idleCheckpointInterval: Duration = .seconds(1),
                clock: @escaping @Sendable () -> Timestamp = ProjectionRunner.systemClock) {
        precondition(batchSize > 0, "batchSize must be positive")
        self.projection = projection
        self.log = log
        self.databasePath = databasePath
        self.batchSize = batchSize
        self.tailTimeout = tailTimeout
        self.liveCommitInterval = liveCommitInterval
        self.idleCheckpointInterval = idleCheckpointInterval
        self.clock = clock
        shared = Mutex(Shared(health: ProjectionHealth(
            name: projection.name, version: projection.version, state: .catchingUp,
            nextOffset: 0, lagEvents: 0, lagSeconds: 0, updatedAt: clock())))
    }

    /// The real-time clock (`CLOCK_REALTIME`).
    public static let systemClock: @Sendable () -> Timestamp = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(nanoseconds: Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
    }

    /// The latest health; safe from any thread.
    public var health: ProjectionHealth { shared.withLock { $0.health } }

    // MARK: synchronous use (CLI, tests)

    /// Opens the projection (resume or rebuild), applies every entry up to the current end of
    /// the log, and returns the next offset. Marks the projection live when done.
    /// Waits while the runner thread is running (between `start()` and `stop()`).
    @discardableResult
    public func catchUp() throws -> UInt64 {
        runLock.lock()
        defer { runLock.unlock() }
        try openIfNeeded()
        while try applyNextBatch() {}
        setState(.live)
        return nextOffset
    }

    /// Drops the projection's tables and checkpoint, then catches up from offset 0.
    @discardableResult
    public func rebuild() throws -> UInt64 {
        runLock.lock()
        defer { runLock.unlock() }
        try guardNotFailed()
        let db = try openDatabase()
        try resetToZero(db)
        while try applyNextBatch() {}
        setState(.live)
        return nextOffset
    }

    /// Applies entries until `end` (exclusive) or the end of the log, whichever comes first,
    /// and returns the next offset: brings two builds of one projection to the same offset.
    @discardableResult
    public func catchUp(to end: UInt64) throws -> UInt64 {
        runLock.lock()
        defer { runLock.unlock() }
        try openIfNeeded()
        while nextOffset < end, try applyNextBatch(before: end) {}
        return nextOffset
    }

    /// Runs `body` with the projection while no batch can run (the runner thread, if any,
    /// must be stopped, or this waits for it): for reading its whole state, e.g. a hash.
    public func withProjection<T>(_ body: (any Projection) throws -> T) rethrows -> T {
        runLock.lock()
        defer { runLock.unlock() }
        return try body(projection)
    }

    /// Replaces the projection's tables and checkpoint with a build of the same projection
    /// and version made aside in the database file at `path`, then reloads the in-memory
    /// state from them and publishes it: the swap of a zero-downtime rebuild. Readers keep
    /// the old published state until that publish. Returns the adopted next offset.
    @discardableResult
    public func adoptBuild(at path: String) throws -> UInt64 {
        runLock.lock()
        defer { runLock.unlock() }
        // A failed projection may adopt a build too: the reload replaces all of its state.
        let db = try openDatabase()
        let offset: UInt64
        do {
            try db.execute("ATTACH DATABASE '\(path.replacingOccurrences(of: "'", with: "''"))' AS aside")
            defer { try? db.execute("DETACH DATABASE aside") }
            let select = try db.prepare("SELECT version, offset FROM aside.checkpoints WHERE name = ?")
            try select.bind(projection.name, at: 1)
            guard try select.step(), select.int64(at: 0) == Int64(projection.version) else {
                throw ProjectionFailure(offset: nil, eventType: nil,
                                        message: "\(path) holds no build of \(projection.name) v\(projection.version)")
            }
            offset = UInt64(select.int64(at: 1))
            select.reset()
            try db.transaction {
                for table in projection.tables {
                    try db.execute("DROP TABLE IF EXISTS main.\"\(table)\"")
                }
                try projection.migrate(db)
                for table in projection.tables {
                    try db.execute("INSERT INTO main.\"\(table)\" SELECT * FROM aside.\"\(table)\"")
                }
                try writeCheckpoint(offset, db)
            }
        } catch let failure as ProjectionFailure {
            throw failure
        } catch {
            throw ProjectionFailure(offset: nil, eventType: nil, message: "cannot adopt the build in \(path): \(error)")
        }
        // The tables now hold the new build: a failed reload leaves the projection failed, and a restart loads them.
        do {
            try projection.load(from: db)
        } catch {
            throw fail(ProjectionFailure(offset: offset, eventType: nil, message: "cannot load the adopted build: \(error)"))
        }
        nextOffset = offset
        lastAppliedTime = nil
        projection.publish(through: offset)
        shared.withLock { $0.health.state = .live }
        refreshHealth(state: .live)
        return offset
    }

    // MARK: background use (serve)

    /// Whether the runner thread is running (between `start()` and `stop()`).
    public var isRunning: Bool { shared.withLock { $0.threadFinished != nil } }

    /// Starts the runner thread: catch-up, then live tail until `stop()` or a failure.
    public func start() {
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            nameCurrentThread("proj-" + projection.name)
            // Projections catch up in bulk; streaming and alerts must not wait behind a commit.
            lowerCurrentThreadPriority()
            runLock.lock()
            defer {
                runLock.unlock()
                finished.signal()
            }
            do {
                try openIfNeeded()
                try applyAvailableBatches()
                if isStopRequested { return setState(.stopped) }
                setState(.live)
                while !isStopRequested {
                    let end = try waitForLog(beyond: nextOffset)
                    guard end > nextOffset else {
                        // A quiet log: a deferred checkpoint is due all the same.
                        if ContinuousClock.now - lastCommitAt >= idleCheckpointInterval { try commitCheckpointIfBehind() }
                        continue
                    }
                    // Let more of the log gather (bounded by the interval; a stop cuts the wait short), then fold
                    // what is there in one transaction: what arrives meanwhile waits for the next interval.
                    if liveCommitInterval > .zero {
                        // Reset before the end is read: a command appending after that read hurries the next wait.
                        wake.wait(until: { $0.stop || $0.hurry }, timeout: liveCommitInterval) { $0.hurry = false }
                        try applyAvailableBatches(before: try waitForLog(beyond: nextOffset, timeout: .zero), isLive: true)
                    } else {
                        try applyAvailableBatches(isLive: true)
                    }
                }
                try commitCheckpointIfBehind()
                setState(.stopped)
            } catch {
                // Health already holds the failure; say it where an operator looks, too.
                FileHandle.standardError.write(Data("tape: projection \(projection.name) v\(projection.version) stopped: \(error)\n".utf8))
            }
        }
        thread.name = "projection-\(projection.name)"
        wake.update { $0 = Wake() }
        shared.withLock {
            $0.isStopRequested = false
            $0.threadFinished = finished
        }
        thread.start()
    }

    /// Asks the runner thread to stop and waits until it has (at most one batch plus the tail timeout).
    public func stop() {
        wake.update { $0.stop = true }
        let finished = shared.withLock { shared -> DispatchSemaphore? in
            shared.isStopRequested = true
            defer { shared.threadFinished = nil }
            return shared.threadFinished
        }
        finished?.wait()
    }

    private var isStopRequested: Bool { shared.withLock { $0.isStopRequested } }

    /// Applies batches until the log has no more (or a stop); a commit refused for want of space is
    /// tried again after a pause that doubles up to 8 s, so the runner carries on when space returns.
    private func applyAvailableBatches(before end: UInt64 = .max, isLive: Bool = false) throws {
        var pause = Duration.seconds(1)
        while !isStopRequested {
            do {
                guard try applyNextBatch(before: end, mayDeferCheckpoint: isLive) else { return }
                pause = .seconds(1)
            } catch is CommitRefused {
                waitForStop(timeout: pause)
                pause = min(pause * 2, .seconds(8))
            }
        }
    }

    /// Returns after `timeout`, or as soon as `stop()` is called.
    private func waitForStop(timeout: Duration) {
        wake.wait(until: { $0.stop }, timeout: timeout) { _ in }
    }

    private func waitForLog(beyond offset: UInt64, timeout: Duration? = nil) throws -> UInt64 {
        do {
            return try log.waitForEnd(beyond: offset, timeout: timeout ?? tailTimeout)
        } catch {
            throw fail(ProjectionFailure(offset: offset, eventType: nil, message: "waiting for the log failed: \(error)"))
        }
    }

    // MARK: opening

    private func openDatabase() throws -> Database {
        if let database { return database }
        do {
            let db = try Database(path: databasePath)
            try db.execute(ProjectionCheckpoint.createTable)
            database = db
            return db
        } catch {
            throw fail(ProjectionFailure(offset: nil, eventType: nil, message: "cannot open \(databasePath): \(error)"))
        }
    }

    private func guardNotFailed() throws {
        // After a failure the in-memory state may hold part of a batch: refuse to go on.
        if case .failed(let failure) = health.state { throw failure }
    }

    private func openIfNeeded() throws {
        try guardNotFailed()
        if database != nil { return }
        let db = try openDatabase()
        do {
            let select = try db.prepare("SELECT version, offset FROM checkpoints WHERE name = ?")
            try select.bind(projection.name, at: 1)
            if try select.step(), select.int64(at: 0) == Int64(projection.version) {
                let offset = UInt64(select.int64(at: 1))
                select.reset()
                try projection.migrate(db)
                try projection.load(from: db)
                nextOffset = offset
                lastAppliedTime = nil
                projection.publish(through: offset)
                refreshHealth(state: .catchingUp)
            } else {
                select.reset()
                try resetToZero(db)
            }
        } catch let failure as ProjectionFailure {
            throw failure
        } catch {
            throw fail(ProjectionFailure(offset: nil, eventType: nil, message: "cannot open projection \(projection.name): \(error)"))
        }
    }

    /// Version changed, no checkpoint, or an explicit rebuild: drop everything and start at 0.
    private func resetToZero(_ db: Database) throws {
        do {
            try db.transaction {
                for table in projection.tables { try db.execute("DROP TABLE IF EXISTS \"\(table)\"") }
                try projection.migrate(db)
                try writeCheckpoint(0, db)
            }
            try projection.load(from: db)
        } catch {
            throw fail(ProjectionFailure(offset: nil, eventType: nil, message: "cannot reset projection \(projection.name): \(error)"))
        }
        nextOffset = 0
        lastAppliedTime = nil
        projection.publish(through: 0)
        refreshHealth(state: .catchingUp)
    }

    private func writeCheckpoint(_ offset: UInt64, _ db: Database) throws {
        try ProjectionCheckpoint.write(projection, offset: offset, to: db)
    }

    // MARK: batches

    /// Applies and commits one batch of entries before `end`; false when the log had nothing new.
    /// With `mayDeferCheckpoint`, a batch that changes nothing may leave its commit to a later one
    /// (`idleCheckpointInterval`).
    private func applyNextBatch(before end: UInt64 = .max, mayDeferCheckpoint: Bool = false) throws -> Bool {
        guard let db = database, nextOffset < end else { return false }
        let limit = Int(min(UInt64(batchSize), end - nextOffset))
        let entries: [LogEntry]
        let newNext: UInt64
        do {
            // Records of types the projection does not read are passed over unbuilt (most of a log is ticks);
            // the checkpoint still moves past them.
            if let types = projection.consumedTypes {
                (entries, newNext) = try log.read(from: nextOffset, limit: limit, only: types)
            } else {
                entries = try log.read(from: nextOffset, limit: limit)
                newNext = entries.last.map { $0.offset + 1 } ?? nextOffset
            }
        } catch {
            throw fail(ProjectionFailure(offset: nextOffset, eventType: nil, message: "reading the log failed: \(error)"))
        }
        guard newNext > nextOffset else { return false }
        let isDense = projection.consumedTypes == nil
        if mayDeferCheckpoint, entries.isEmpty, !isDense, ContinuousClock.now - lastCommitAt < idleCheckpointInterval {
            isCheckpointBehind = true
            advance(to: newNext, lastEntry: nil)
            return true
        }
        var expected = nextOffset
        for entry in entries {
            guard isDense ? entry.offset == expected : (entry.offset >= expected && entry.offset < newNext) else {
                throw fail(ProjectionFailure(offset: expected, eventType: nil,
                                             message: "the log returned offset \(entry.offset) where \(isDense ? "" : "at least ")\(expected) was expected"))
            }
            do {
                try projection.apply(entry)
            } catch {
                throw fail(ProjectionFailure(offset: entry.offset, eventType: entry.event.type.name, message: "\(error)"))
            }
            expected = entry.offset + 1
        }
        do {
            try db.transaction {
                try projection.persist(to: db)
                try writeCheckpoint(newNext, db)
                try beforeCommit?(newNext)
            }
        } catch {
            let message = "committing offsets \(nextOffset)..<\(newNext) failed: \(error)"
            guard (error as? SQLiteError)?.isDiskProblem == true else {
                throw fail(ProjectionFailure(offset: nil, eventType: nil, message: message))
            }
            // The transaction rolled back, but `apply` already folded the batch into memory: go back to
            // the state the tables hold before the batch is tried again. Their checkpoint is `nextOffset`,
            // or behind it only by deferred entries that change nothing, so that state is `nextOffset`'s.
            do {
                try projection.load(from: db)
            } catch {
                throw fail(ProjectionFailure(offset: nil, eventType: nil, message: "\(message); reloading the state failed: \(error)"))
            }
            shared.withLock { $0.health.retrying = message }
            throw CommitRefused(message: message)
        }
        shared.withLock { $0.health.retrying = nil }
        lastCommitAt = .now
        isCheckpointBehind = false
        advance(to: newNext, lastEntry: entries.last)
        return true
    }

    /// Moves past a batch whose entries are applied (and committed, or deferred) and publishes.
    private func advance(to newNext: UInt64, lastEntry: LogEntry?) {
        nextOffset = newNext
        // Event-time lag is measured from the last entry looked at; one passed over unbuilt has no time to offer.
        lastAppliedTime = lastEntry.flatMap { $0.offset == newNext - 1 ? $0.time : nil }
        projection.publish(through: newNext)
        refreshHealth(state: nil)
    }

    /// Writes a deferred checkpoint (when it is due on a quiet log, and before the runner thread
    /// stops). A commit refused for want of space is reported in health and tried again an
    /// `idleCheckpointInterval` later; any other error fails the projection.
    private func commitCheckpointIfBehind() throws {
        guard isCheckpointBehind, let db = database else { return }
        lastCommitAt = .now
        do {
            try db.transaction { try writeCheckpoint(nextOffset, db) }
        } catch {
            let message = "committing the checkpoint at \(nextOffset) failed: \(error)"
            guard (error as? SQLiteError)?.isDiskProblem == true else {
                throw fail(ProjectionFailure(offset: nil, eventType: nil, message: message))
            }
            shared.withLock { $0.health.retrying = message }
            return
        }
        isCheckpointBehind = false
        shared.withLock { $0.health.retrying = nil }
    }

    private func fail(_ failure: ProjectionFailure) -> ProjectionFailure {
        refreshHealth(state: .failed(failure))
        return failure
    }

    private func setState(_ state: ProjectionHealth.State) {
        refreshHealth(state: state)
    }

    /// Recomputes lag against the log head; `state` nil keeps the current state.
    private func refreshHealth(state: ProjectionHealth.State?) {
        var lagEvents: UInt64 = 0
        var lagSeconds = 0.0
        if let end = try? log.endOffset(), end > nextOffset {
            lagEvents = end - nextOffset
            if let newest = try? log.read(from: end - 1, limit: 1).first {
                let applied = lastAppliedTime ?? newest.time
                // In Double: event times are whatever the log holds, and their difference may not fit an Int64.
                lagSeconds = max(0, (Double(newest.time.rawValue) - Double(applied.rawValue)) / 1e9)
            }
        }
        let now = clock()
        let next = nextOffset
        shared.withLock { shared in
            // A failure is final: nothing may overwrite it, in particular not `live`.
            if case .failed = shared.health.state { return }
            if let state { shared.health.state = state }
            shared.health.nextOffset = next
            shared.health.lagEvents = lagEvents
            shared.health.lagSeconds = lagSeconds
            shared.health.updatedAt = now
        }
        published.update { $0 = max($0, next) }
    }

    /// Blocks until everything before `offset` has been applied and published, or `timeout`
    /// passes; returns whether it was. Lets a command answer only once its effect is readable.
    public func waitUntilApplied(before offset: UInt64, timeout: Duration) -> Bool {
        if published.withLock({ $0 >= offset }) { return true }
        wake.update { $0.hurry = true }
        return published.wait(until: { $0 >= offset }, timeout: timeout) { $0 >= offset }
    }
}

/// A batch's commit that SQLite refused for a reason that can pass (`SQLiteError.isDiskProblem`):
/// nothing was committed, and the runner tries the batch again later.
private struct CommitRefused: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
