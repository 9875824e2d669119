import EventLog
import Foundation
import Projections
import Synchronization

/// Tails the log, evaluates alert rules against every tick in log order, and appends one
/// AlertTriggered event per firing: exactly once per (alert, tick offset), and never one missed.
///
/// Exactly-once, in three steps:
/// 1. Firings are a pure function of the log: `AlertEvaluator` folds rule events and ticks and reads
///    nothing else, so re-reading any stretch of the log from a checkpointed state gives the same
///    firings, keyed by (alert id, tick offset).
/// 2. The checkpoint `(next offset, evaluator state)` is written to SQLite only after every firing for
///    ticks before that offset is durably in the log (the append returned, and the log's durable end
///    passed it). A crash before an append therefore restarts from a checkpoint before the tick, and
///    the firing is computed and appended again: none is missed.
/// 3. On start the engine collects the AlertTriggered events already in the log from its checkpoint on
///    (for ticks at or after it; only this engine appends them, under the log's single-writer lock),
///    and a recomputed firing found there is not appended again: a crash between an append and the
///    checkpoint produces no duplicate. Appends are atomic batches, so there is no half-appended state.
///
/// `onFiring` is called after the append, on the engine thread; a firing found already logged on
/// restart is not pushed again (the log, not the push, is the record).
///
/// Threads: the evaluator, the database and the dedupe set belong to whichever thread runs the
/// engine: the caller of `catchUp()`, or the engine thread between `start()` and `stop()` — never two
/// at once (`runLock`). `status` and `onFiring` may be used from any thread.
public final class AlertEngine: @unchecked Sendable {
    /// Receives each new firing with the alert owner's user id.
    public typealias FiringHandler = @Sendable (AlertFiring, UInt64) -> Void

    /// Where the engine stands; safe to read from any thread.
    public struct Status: Hashable, Sendable {
        /// The next log offset to evaluate: every tick below it has been evaluated.
        public var nextOffset: UInt64 = 0
        /// The offset the last checkpoint resumes from.
        public var checkpointOffset: UInt64 = 0
        /// Whether this run has read its checkpoint yet.
        public var isResumed = false
        /// Where this run started, and how many firings it found already logged from there.
        public var resumedAt: UInt64 = 0
        public var loggedAfterCheckpoint: Int = 0
        /// Firings appended by this run.
        public var appended: UInt64 = 0
        /// Recomputed firings that were already in the log (appended before a crash), not appended again.
        public var deduplicated: UInt64 = 0
        /// Logged firings after the checkpoint that re-evaluation did not reproduce (the audit explains them).
        public var unexplained: UInt64 = 0
        /// Caught up with the log once and following it.
        public var isLive = false
        /// Why the engine stopped, if it failed; it does not go on without a restart.
        public var failure: String?
        /// Why the last append of firings was refused (a full disk) while the engine retries; nil once one succeeds.
        public var retrying: String?
    }

    /// Crash-test hooks: called on the engine thread right after an append, and right after a checkpoint commit.
    public struct Hooks: Sendable {
        public var afterAppend: (@Sendable (ClosedRange<UInt64>) -> Void)?
        public var afterCheckpoint: (@Sendable (UInt64) -> Void)?
        public init(afterAppend: (@Sendable (ClosedRange<UInt64>) -> Void)? = nil,
                    afterCheckpoint: (@Sendable (UInt64) -> Void)? = nil) {
            self.afterAppend = afterAppend
            self.afterCheckpoint = afterCheckpoint
        }
    }

    /// The checkpoint row's name in `alert_engine_checkpoint`.
    public static let checkpointName = "alert_engine"

    private let log: EventLog
    private let reader: any LogSource
    private let databasePath: String
    private let batchSize: Int
    private let checkpointEvery: UInt64
    private let idleCheckpointDelay: Duration
    private let liveCheckpointInterval: Duration
    private let tailTimeout: Duration
    private let hooks: Hooks

    // Owned by the thread running the engine (see the type comment).
    private let runLock = NSLock()
    private var database: Database?
    private var evaluator = AlertEvaluator()
    private var nextOffset: UInt64 = 0
    private var checkpointed: UInt64 = 0
    /// Encodes and commits checkpoints in order, off the engine thread (see `checkpoint(inBackground:)`).
    private let checkpointQueue = DispatchQueue(label: "tape.alert-checkpoint")
    private let checkpointFailure = Mutex<AlertEngineError?>(nil)
    private var lastCheckpoint = ContinuousClock.now
    /// Firings already in the log for ticks at or after `nextOffset`, by (alert id, tick offset).
    private var logged: Set<FiringKey> = []
    private var lastAppended: UInt64?

    struct FiringKey: Hashable {
        var alertID: UInt64
        var tickOffset: UInt64
    }

    private struct Shared {
        var status = Status()
        var onFiring: FiringHandler?
        var isStopRequested = false
        var threadFinished: DispatchSemaphore?
    }
    private let shared: Mutex<Shared>

    /// - Parameters:
    ///   - log: the log the engine appends AlertTriggered events to (this process holds its writer lock).
    ///   - reader: usually `log.makeReader()`, which sees exactly what is durable.
    ///   - databasePath: usually `data/projections.sqlite`; the engine opens its own connection.
    ///   - batchSize: entries read per step; the firings of one step are one append.
    ///   - checkpointEvery: entries between checkpoints while catching up; when idle, it checkpoints
    ///     after `idleCheckpointDelay`.
    ///   - liveCheckpointInterval: while ticks keep coming, the least time between two checkpoints.
    ///     Each one encodes and commits every rule (megabytes for 100,000 rules) beside evaluation;
    ///     a restart evaluates again what came after the last checkpoint, so this trades that work
    ///     for restart time.
    public init(log: EventLog, reader: any LogSource, databasePath: String, batchSize: Int = 4096,
                checkpointEvery: UInt64 = 100_000, idleCheckpointDelay: Duration = .seconds(5),
                liveCheckpointInterval: Duration = .zero,
                tailTimeout: Duration = .milliseconds(200), hooks: Hooks = Hooks(), onFiring: FiringHandler? = nil) {
        precondition(batchSize > 0, "batchSize must be positive")
        self.log = log
        self.reader = reader
        self.databasePath = databasePath
        self.batchSize = batchSize
        self.checkpointEvery = max(1, checkpointEvery)
        self.idleCheckpointDelay = idleCheckpointDelay
        self.liveCheckpointInterval = liveCheckpointInterval
        self.tailTimeout = tailTimeout
        self.hooks = hooks
        shared = Mutex(Shared(onFiring: onFiring))
    }

    /// The `liveCheckpointInterval` `tape serve` runs its engine with.
    public static let serverLiveCheckpointInterval: Duration = .seconds(10)

    /// Called with each new firing and its owner's user id, on the engine thread; set it before `start()`
    /// or at any time (the streaming hub pushes `{"type":"alert"}` to the owner's sessions from here).
    public var onFiring: FiringHandler? {
        get { shared.withLock { $0.onFiring } }
        set { shared.withLock { $0.onFiring = newValue } }
    }

    /// The latest status.
    public var status: Status { shared.withLock { $0.status } }

    // MARK: running

    /// Resumes from the checkpoint, evaluates everything up to the current end of the log, checkpoints,
    /// and returns the next offset. Waits while the engine thread runs.
    @discardableResult
    public func catchUp() throws -> UInt64 {
        runLock.lock()
        defer { runLock.unlock() }
        try guarded {
            try openIfNeeded()
            while try step() {}
            try checkpoint()
        }
        updateStatus { $0.isLive = true }
        return nextOffset
    }

    /// Starts the engine thread: catch-up, then live tail until `stop()` or a failure.
    public func start() {
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            nameCurrentThread("alert-engine")
            runLock.lock()
            defer {
                runLock.unlock()
                finished.signal()
            }
            do {
                try guarded {
                    try openIfNeeded()
                    while !isStopRequested {
                        if try stepRetryingRefusals() {
                            if nextOffset - checkpointed >= checkpointEvery && ContinuousClock.now - lastCheckpoint >= liveCheckpointInterval {
                                try checkpoint(inBackground: true)
                            }
                            continue
                        }
                        updateStatus { $0.isLive = true }
                        if nextOffset > checkpointed && ContinuousClock.now - lastCheckpoint >= idleCheckpointDelay {
                            try checkpoint(inBackground: true)
                        }
                        _ = try reader.waitForEnd(beyond: nextOffset, timeout: tailTimeout)
                    }
                    try checkpoint()
                }
            } catch {
                FileHandle.standardError.write(Data("tape: alert engine stopped: \(error)\n".utf8))
            }
        }
        thread.name = "alert-engine"
        shared.withLock {
            $0.isStopRequested = false
            $0.threadFinished = finished
        }
        thread.start()
    }

    /// Asks the engine thread to stop, waits until it has (at most one step plus the tail timeout),
    /// and leaves a checkpoint at where it stopped.
    public func stop() {
        let finished = shared.withLock { shared -> DispatchSemaphore? in
            shared.isStopRequested = true
            defer { shared.threadFinished = nil }
            return shared.threadFinished
        }
        finished?.wait()
    }

    private var isStopRequested: Bool { shared.withLock { $0.isStopRequested } }

    /// Runs `body`, recording a failure in the status; a failed engine refuses to run again.
    private func guarded(_ body: () throws -> Void) throws {
        if let failure = status.failure { throw AlertEngineError(offset: nil, message: failure) }
        do {
            try body()
        } catch {
            let message = (error as? AlertEngineError)?.description ?? "\(error)"
            updateStatus { $0.failure = message }
            throw error
        }
    }

    private func updateStatus(_ change: (inout Status) -> Void) {
        let next = nextOffset
        shared.withLock {
            $0.status.nextOffset = next
            change(&$0.status)
        }
    }

    // MARK: opening

    private func openIfNeeded() throws {
        if database != nil { return }
        let db = try Database(path: databasePath)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS alert_engine_checkpoint(
                name TEXT PRIMARY KEY, format INTEGER NOT NULL, next_offset INTEGER NOT NULL, state BLOB NOT NULL)
            """)
        let end = try reader.endOffset()
        var resumed: (offset: UInt64, evaluator: AlertEvaluator)?
        let select = try db.prepare("SELECT format, next_offset, state FROM alert_engine_checkpoint WHERE name = ?")
        try select.bind(Self.checkpointName, at: 1)
        if try select.step(), select.int64(at: 0) == Int64(AlertEvaluator.stateFormat) {
            let offset = UInt64(bitPattern: select.int64(at: 1))
            if offset <= end, let state = try? AlertEvaluator(decoding: select.blob(at: 2) ?? []) {
                resumed = (offset, state)
            } else {
                FileHandle.standardError.write(Data("tape: alert engine checkpoint at \(offset) is unusable (log ends at \(end)); re-evaluating from offset 0\n".utf8))
            }
        }
        select.reset()
        evaluator = resumed?.evaluator ?? AlertEvaluator()
        nextOffset = resumed?.offset ?? 0
        checkpointed = nextOffset
        let resumedAt = checkpointed
        shared.withLock { $0.status.checkpointOffset = resumedAt }
        lastCheckpoint = .now
        logged = try loggedFirings(from: nextOffset, to: end)
        database = db
        let start = nextOffset, count = logged.count
        updateStatus {
            $0.isResumed = true
            $0.resumedAt = start
            $0.loggedAfterCheckpoint = count
        }
    }

    /// The AlertTriggered events in `offset..<end` for ticks at or after `offset`: the firings a
    /// previous run appended but did not checkpoint. (Those for earlier ticks were checkpointed.)
    private func loggedFirings(from offset: UInt64, to end: UInt64) throws -> Set<FiringKey> {
        var keys: Set<FiringKey> = []
        var next = offset
        while next < end {
            let entries = try reader.read(from: next, limit: min(batchSize * 4, Int(end - next)))
            guard let last = entries.last else { break }
            for entry in entries {
                if case .alertTriggered(let triggered) = entry.event, triggered.tickOffset >= offset {
                    keys.insert(FiringKey(alertID: triggered.alertID, tickOffset: triggered.tickOffset))
                }
            }
            next = last.offset + 1
        }
        return keys
    }

    // MARK: steps

    /// Evaluates one batch of entries and appends its new firings; false when the log had nothing new.
    private func step() throws -> Bool {
        let entries = try reader.read(from: nextOffset, limit: batchSize)
        guard let last = entries.last else { return false }
        var fresh: [AlertEvaluator.Firing] = []
        var deduplicated: UInt64 = 0
        var expected = nextOffset
        for entry in entries {
            guard entry.offset == expected else {
                throw AlertEngineError(offset: expected, message: "the log returned offset \(entry.offset) where \(expected) was expected")
            }
            expected += 1
            for firing in evaluator.apply(entry) {
                if logged.remove(FiringKey(alertID: firing.alertID, tickOffset: firing.tick.offset)) != nil {
                    deduplicated += 1
                } else {
                    fresh.append(firing)
                }
            }
        }
        nextOffset = last.offset + 1
        // Logged firings for ticks now behind us that evaluation did not reproduce can never match.
        var unexplained: UInt64 = 0
        if !logged.isEmpty {
            let stale = logged.filter { $0.tickOffset < nextOffset }
            unexplained = UInt64(stale.count)
            logged.subtract(stale)
        }
        var appended: [AlertFiring] = []
        if !fresh.isEmpty {
            let range: ClosedRange<UInt64>
            do {
                range = try log.append(fresh.map { Record(time: $0.tick.time, event: .alertTriggered($0.triggered)) })
            } catch let error as LogError where error.isSystemCallFailure && log.failure == nil {
                // A write the disk refused stored nothing and the next may succeed: the caller goes back
                // to the checkpoint and evaluates again (see `stepRetryingRefusals`).
                throw FiringsRefused(message: "appending \(fresh.count) firing(s) failed: \(error)")
            } catch {
                // The batch's firings are not in the log. The engine fails here, before any checkpoint
                // could pass them, so the next run evaluates this batch again.
                throw AlertEngineError(offset: entries[0].offset, message: "appending \(fresh.count) firing(s) failed: \(error)")
            }
            lastAppended = range.upperBound
            hooks.afterAppend?(range)
            appended = fresh.enumerated().map { i, f in
                AlertFiring(alertID: f.alertID, n: f.n, ruleVersion: f.ruleVersion, token: f.rule.token, tickOffset: f.tick.offset,
                            offset: range.lowerBound + UInt64(i), price: f.tick.price, time: f.tick.time)
            }
        }
        updateStatus {
            $0.appended += UInt64(appended.count)
            $0.deduplicated += deduplicated
            $0.unexplained += unexplained
        }
        if !appended.isEmpty, let handler = onFiring {
            for (firing, source) in zip(appended, fresh) { handler(firing, source.userID) }
        }
        return true
    }

    /// One `step()`; when the log refuses its firings (a full disk), the evaluator has already moved past
    /// the batch, so the engine resumes from its checkpoint exactly as after a crash (firings logged since
    /// are not appended again) and, after a pause, evaluates again. False when the log had nothing new.
    private func stepRetryingRefusals() throws -> Bool {
        do {
            let stepped = try step()
            if status.retrying != nil { updateStatus { $0.retrying = nil } }
            return stepped
        } catch let refusal as FiringsRefused {
            updateStatus { $0.retrying = refusal.message }
            // Pending background checkpoints finish first: they use the connection being replaced.
            checkpointQueue.sync {}
            database = nil
            lastAppended = nil
            let resumeAt = ContinuousClock.now + .seconds(1)
            while !isStopRequested && ContinuousClock.now < resumeAt { usleep(20_000) }
            try openIfNeeded()
            return true
        }
    }

    /// Writes `(nextOffset, evaluator state)` once every firing appended so far is durable.
    /// Writes `(next offset, evaluator state)` once every firing before it is durable.
    ///
    /// With `inBackground`, the state is copied (copy-on-write, so nearly free) and encoded and
    /// committed on `checkpointQueue`, so a large rule set never stalls evaluation; checkpoints
    /// still commit in order, and a crash before one commits resumes from the one before.
    /// Otherwise it waits for any background checkpoint and writes this one before returning.
    private func checkpoint(inBackground: Bool = false) throws {
        guard database != nil else { return }
        guard nextOffset != checkpointed else {
            if !inBackground { try checkpointQueue.sync { try takeCheckpointFailure() } }
            return
        }
        if let lastAppended, log.durableEnd <= lastAppended {
            _ = log.waitForDurableEnd(beyond: lastAppended, timeout: nil)
            guard log.durableEnd > lastAppended else {
                throw AlertEngineError(offset: lastAppended, message: "the log closed before firing \(lastAppended) was durable")
            }
        }
        let snapshot = evaluator, offset = nextOffset
        checkpointed = offset
        lastCheckpoint = .now
        if inBackground {
            checkpointQueue.async { self.write(snapshot, at: offset) }
        } else {
            try checkpointQueue.sync {
                write(snapshot, at: offset)
                try takeCheckpointFailure()
            }
        }
    }

    /// Encodes and commits one checkpoint; on `checkpointQueue` only.
    private func write(_ snapshot: AlertEvaluator, at offset: UInt64) {
        guard let db = database else { return }
        do {
            let state = snapshot.encoded()
            try db.transaction {
                let upsert = try db.prepare("""
                    INSERT INTO alert_engine_checkpoint(name, format, next_offset, state) VALUES (?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET format = excluded.format, next_offset = excluded.next_offset, state = excluded.state
                    """)
                try upsert.run([.text(Self.checkpointName), .integer(Int64(AlertEvaluator.stateFormat)),
                                .integer(Int64(bitPattern: offset)), .blob(state)])
            }
            shared.withLock { $0.status.checkpointOffset = offset }
            hooks.afterCheckpoint?(offset)
        } catch let error as SQLiteError where error.isDiskProblem {
            // Nothing was committed and the previous checkpoint stands, which is always safe to resume
            // from (firings logged after it are not appended again); a later checkpoint may succeed.
            FileHandle.standardError.write(Data("tape: alert engine checkpoint at \(offset) skipped: \(error)\n".utf8))
        } catch {
            checkpointFailure.withLock { $0 = AlertEngineError(offset: offset, message: "checkpoint failed: \(error)") }
        }
    }

    /// Throws (and clears) the failure of a background checkpoint, if one failed.
    private func takeCheckpointFailure() throws {
        if let failure = checkpointFailure.withLock({ failure in defer { failure = nil }; return failure }) { throw failure }
    }
}

/// Why the alert engine stopped: where, and what failed.
public struct AlertEngineError: Error, CustomStringConvertible, Sendable {
    /// The offset being evaluated, when the failure is tied to one.
    public var offset: UInt64?
    public var message: String

    public init(offset: UInt64?, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String {
        offset.map { "alert engine failed at offset \($0): \(message)" } ?? "alert engine failed: \(message)"
    }
}

/// Firings the log refused to store for a reason that can pass (a full disk); the engine retries.
private struct FiringsRefused: Error {
    var message: String
}
