import EventLog
import Foundation
import Synchronization

/// A zero-downtime rebuild of one projection: a fresh instance builds from offset 0 into a
/// database file of its own while the live one keeps serving; once it has caught up with
/// the head, the live runner pauses for the swap (or, for a diff, for the comparison) and
/// resumes from the new state.
///
/// `run()` does the work on the caller's thread (a thread of its own in the server); `status`
/// may be read from any thread.
public final class ProjectionRebuild: @unchecked Sendable {
    /// Swap the new build in, or only compare it with the live one.
    public enum Mode: String, Sendable {
        case swap
        case diff
    }

    /// Where a rebuild is.
    public enum Phase: String, Sendable {
        /// Building aside from offset 0 (`nextOffset` of `endOffset`).
        case building
        /// The live runner is paused while the build is swapped in or compared.
        case swapping
        case comparing
        case done
        case failed
    }

    /// A rebuild's progress and outcome.
    public struct Status: Sendable {
        public var name: String
        public var version: Int
        public var mode: Mode
        public var phase: Phase
        public var nextOffset: UInt64 = 0
        /// The log's end when last looked at.
        public var endOffset: UInt64 = 0
        public var startedAt: Timestamp
        public var finishedAt: Timestamp?
        /// The build's content hash once done (a swap makes it the live one's too).
        public var hash: String?
        public var diff: ProjectionDiff?
        public var error: String?

        public var isFinished: Bool { phase == .done || phase == .failed }
        var startedRunning = false
    }

    private let live: ProjectionRunner
    private let fresh: any Projection
    private let log: any LogSource
    private let livePath: String
    private let asidePath: String
    private let mode: Mode
    private let clock: @Sendable () -> Timestamp
    private let state: Mutex<Status>
    /// The aside runner, for progress while it builds.
    private let builder = Mutex<ProjectionRunner?>(nil)
    /// Set by `cancel()`; the build's reads then fail, ending it at the next batch.
    private let isCancelled = Atomic<Bool>(false)
    private let finished = Monitor(false)

    /// - Parameters:
    ///   - live: the runner of the projection in service; paused only for the swap.
    ///   - fresh: an empty instance of the same projection (same name and version).
    ///   - livePath: the database the live runner writes (`data/projections.sqlite`).
    ///   - asidePath: where the new build goes; removed when the rebuild ends.
    public init(live: ProjectionRunner, fresh: any Projection, log: any LogSource, livePath: String, asidePath: String,
                mode: Mode, clock: @escaping @Sendable () -> Timestamp = ProjectionRunner.systemClock) {
        precondition(fresh.name == live.projection.name && fresh.version == live.projection.version,
                     "a rebuild needs a fresh instance of the live projection")
        self.live = live
        self.fresh = fresh
        self.log = log
        self.livePath = livePath
        self.asidePath = asidePath
        self.mode = mode
        self.clock = clock
        state = Mutex(Status(name: fresh.name, version: fresh.version, mode: mode, phase: .building, startedAt: clock()))
    }

    /// The latest status; while building, the offset the new build has reached.
    public var status: Status {
        var status = state.withLock { $0 }
        if status.phase == .building, let runner = builder.withLock({ $0 }) {
            status.nextOffset = runner.health.nextOffset
            status.endOffset = (try? log.endOffset()) ?? status.endOffset
        }
        return status
    }

    /// Builds, then swaps or compares; returns the final status (also when it failed).
    @discardableResult
    public func run() -> Status {
        var failure: String?
        do {
            try runSteps()
        } catch {
            failure = "\(error)"
        }
        builder.withLock { $0 = nil }
        Self.removeDatabase(at: asidePath)
        // Finished only once the aside files are gone: the next rebuild of this projection builds at the same path.
        let now = clock()
        update { $0.phase = failure == nil ? .done : .failed; $0.error = failure; $0.finishedAt = now }
        finished.update { $0 = true }
        return status
    }

    /// Ends a build that has not reached its swap (which, once begun, completes); returns
    /// once `run()` has returned, or at once if it never started.
    public func cancel() {
        isCancelled.store(true, ordering: .relaxed)
        guard state.withLock({ $0.startedRunning }) else { return }
        finished.wait(until: { $0 }, timeout: nil) { _ in }
    }

    private func runSteps() throws {
        update { $0.startedRunning = true }
        Self.removeDatabase(at: asidePath)
        let source = CancellableLogSource(base: log) { [self] in isCancelled.load(ordering: .relaxed) }
        let runner = ProjectionRunner(projection: fresh, log: source, databasePath: asidePath, batchSize: 50_000, clock: clock)
        builder.withLock { $0 = runner }
        try runner.rebuild()
        // Each pass is shorter than the one before while the log grows slower than the build runs;
        // a few passes leave a backlog of about one batch for the pause.
        for _ in 0..<8 {
            let next = try runner.catchUp()
            if try log.endOffset() - next <= 10_000 { break }
        }

        let wasRunning = live.isRunning
        live.stop()
        defer { if wasRunning { live.start() } }
        let end = try runner.catchUp()
        let hash = fresh.contentHash()
        update { $0.nextOffset = end; $0.endOffset = end; $0.hash = hash }
        builder.withLock { $0 = nil }
        switch mode {
        case .swap:
            update { $0.phase = .swapping }
            try live.adoptBuild(at: asidePath)
        case .diff:
            update { $0.phase = .comparing }
            let liveNext = try live.catchUp(to: end)
            guard liveNext == end else {
                throw ProjectionFailure(offset: liveNext, eventType: nil, message: "the live projection stopped at \(liveNext), before \(end)")
            }
            let liveHash = live.withProjection { $0.contentHash() }
            let diff = try ProjectionDiff.compare(tables: fresh.tables, livePath: livePath, rebuiltPath: asidePath,
                                                  offset: end, liveHash: liveHash, rebuiltHash: hash)
            update { $0.diff = diff }
        }
    }

    private func update(_ change: (inout Status) -> Void) { state.withLock { change(&$0) } }

    /// Removes a database file and its WAL and shared-memory files.
    static func removeDatabase(at path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
    }
}

/// A log that stops answering reads once `isCancelled` says so: how a build is cut short.
private struct CancellableLogSource: LogSource {
    struct Cancelled: Error, CustomStringConvertible { var description: String { "cancelled" } }
    let base: any LogSource
    let isCancelled: @Sendable () -> Bool

    func endOffset() throws -> UInt64 { try base.endOffset() }

    func read(from offset: UInt64, limit: Int) throws -> [LogEntry] {
        if isCancelled() { throw Cancelled() }
        return try base.read(from: offset, limit: limit)
    }

    func waitForEnd(beyond offset: UInt64, timeout: Duration) throws -> UInt64 {
        try base.waitForEnd(beyond: offset, timeout: timeout)
    }
}
