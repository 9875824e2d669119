import Dispatch
import EventLog
import Foundation
import Synchronization

/// Runs one feed on its own thread, appends what it produces, and keeps its health.
///
/// A circuit breaker around the feed: when `run` throws (or returns before a stop), the feed is
/// `degraded` and restarted after an exponential backoff (`Backoff`); the first tick appended
/// after a restart closes the breaker (`ok`, failures back to 0). A feed that stays silent for
/// `stallAfter` is reported `degraded` too, but is not restarted: a live feed may be quiet for
/// good reasons (a closed market), and the first tick afterwards makes it `ok` again. The
/// stall is judged when `health` is read, against the injected clock.
///
/// Threads: the feed runs on the supervisor's thread ("feed-<name>"); `start`, `stop` and
/// `health` may be called from any thread. Never call the clock while holding `state`: a test
/// clock takes its own lock, and sleepers check `isStopRequested` while holding that one.
public final class FeedSupervisor: Sendable {
    /// How long to wait before restarting a failed feed.
    public struct Backoff: Hashable, Sendable {
        /// The wait after the first failure.
        public var initial: Duration
        /// The longest wait, however many failures.
        public var maximum: Duration

        /// A backoff from `initial`, doubling up to `maximum` (at least `initial`).
        public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(60)) {
            self.initial = initial
            self.maximum = max(initial, maximum)
        }

        /// `initial × 2^(failures − 1)`, capped at `maximum`.
        public func delay(afterFailures failures: Int) -> Duration {
            var delay = initial
            for _ in 1..<max(1, min(failures, 63)) where delay < maximum { delay *= 2 }
            return min(delay, maximum)
        }
    }

    /// The feed this supervisor runs.
    public let feed: any Feed
    let clock: any FeedClock
    private let sink: @Sendable ([Record]) throws -> Void
    private let stallAfter: Duration
    private let backoff: Backoff

    private struct State {
        var health: FeedHealth
        /// When the current attempt started, for a stall before the first tick.
        var attemptStartedAt: Timestamp?
        var finished: DispatchSemaphore?
    }
    private let state: Monitor<State>
    private let stopRequested = Atomic<Bool>(false)

    /// - Parameters:
    ///   - sink: where ticks go; usually `EventLog.append` (see `init(feed:log:...)`).
    ///   - stallAfter: silence after which the feed is reported degraded.
    public init(feed: any Feed, sink: @escaping @Sendable ([Record]) throws -> Void, clock: any FeedClock = SystemFeedClock(),
                stallAfter: Duration = .seconds(10), backoff: Backoff = Backoff()) {
        self.feed = feed
        self.sink = sink
        self.clock = clock
        self.stallAfter = stallAfter
        self.backoff = backoff
        state = Monitor(State(health: FeedHealth(feed: feed.name, state: .stopped)))
    }

    /// A supervisor whose feed appends to `log`, one append per batch the feed hands over.
    public convenience init(feed: any Feed, log: EventLog, clock: any FeedClock = SystemFeedClock(),
                            stallAfter: Duration = .seconds(10), backoff: Backoff = Backoff()) {
        self.init(feed: feed, sink: { try log.append($0) }, clock: clock, stallAfter: stallAfter, backoff: backoff)
    }

    // MARK: health

    /// The feed's health now, with a stall judged against the clock.
    public var health: FeedHealth {
        let now = clock.now()
        return state.withLock { Self.judgingStall($0, now: now, stallAfter: stallAfter) }
    }

    /// Blocks until the recorded health satisfies `predicate` or `timeout` passes; returns the
    /// health either way. Wakes on every change (a tick, a failure, a restart), not on a stall,
    /// which happens by the clock alone: read `health` for that.
    public func waitForHealth(timeout: Duration, until predicate: (FeedHealth) -> Bool) -> FeedHealth {
        state.wait(until: { predicate($0.health) }, timeout: timeout) { $0.health }
    }

    private static func judgingStall(_ s: State, now: Timestamp, stallAfter: Duration) -> FeedHealth {
        var health = s.health
        let stall = stallAfter.nanoseconds
        switch health.state {
        case .ok:
            if let last = health.lastAppendedAt, now.rawValue &- last.rawValue >= stall {
                health.state = .degraded
                health.reason = "stalled: no tick for \(seconds(now.rawValue &- last.rawValue)) s"
            }
        case .starting:
            if let started = s.attemptStartedAt, now.rawValue &- started.rawValue >= stall {
                health.state = .degraded
                health.reason = "stalled: no tick in the \(seconds(now.rawValue &- started.rawValue)) s since the feed started"
            }
        case .degraded, .stopped:
            break
        }
        return health
    }

    private static func seconds(_ nanoseconds: Int64) -> String {
        var bytes: [UInt8] = []
        JSONText.appendDecimal(nanoseconds / 1_000_000, decimals: 3, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: running

    var isStopRequested: Bool { stopRequested.load(ordering: .acquiring) }

    /// Starts the feed on its own thread. Does nothing if it is already running.
    public func start() {
        let now = clock.now()
        let finished = DispatchSemaphore(value: 0)
        let started = state.update { s -> Bool in
            guard s.finished == nil else { return false }
            s.finished = finished
            s.health.state = .starting
            s.health.reason = nil
            s.attemptStartedAt = now
            return true
        }
        guard started else { return }
        stopRequested.store(false, ordering: .releasing)
        let thread = Thread { [self] in
            nameCurrentThread("feed-" + feed.name)
            supervise()
            finished.signal()
        }
        thread.name = "feed-\(feed.name)"
        thread.start()
    }

    /// Asks the feed to stop, wakes its waits, and blocks until its thread has finished.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        clock.wake()
        let finished = state.withLock { $0.finished }
        finished?.wait()
        state.update {
            $0.finished = nil
            $0.health.state = .stopped
            $0.health.nextRetry = nil
        }
    }

    /// The supervisor thread: run, and after each failure wait out the backoff and run again.
    private func supervise() {
        while !isStopRequested {
            var failure: String?
            do {
                try feed.run(FeedContext(supervisor: self))
                if !isStopRequested { failure = "the feed ended by itself" }
            } catch {
                failure = "\(error)"
            }
            guard let failure, !isStopRequested else { continue }
            let now = clock.now()
            let retryAt = state.update { s -> Timestamp in
                s.health.consecutiveFailures += 1
                let failures = s.health.consecutiveFailures
                let delay = backoff.delay(afterFailures: failures)
                let retryAt = Timestamp(rawValue: now.rawValue &+ delay.nanoseconds)
                s.health.state = .degraded
                s.health.reason = "failed (\(failures) in a row): \(failure); retrying in \(Self.seconds(delay.nanoseconds)) s"
                s.health.nextRetry = retryAt
                return retryAt
            }
            clock.sleep(until: retryAt) { isStopRequested }
            let restartedAt = clock.now()
            state.update {
                // Half-open: running again, still degraded until a tick proves it works.
                $0.health.nextRetry = nil
                $0.attemptStartedAt = restartedAt
                $0.health.reason = "failed (\($0.health.consecutiveFailures) in a row): \(failure); retrying now"
            }
        }
    }

    /// Appends a feed's batch and counts it; the first tick after a failure closes the breaker.
    func append(_ records: [Record]) throws {
        guard !records.isEmpty else { return }
        try sink(records)
        let now = clock.now()
        var newest: Timestamp?
        var ticks: UInt64 = 0
        for record in records {
            guard case .tick = record.event else { continue }
            ticks += 1
            newest = max(newest ?? record.time, record.time)
        }
        state.update { s in
            s.health.ticksAppended += ticks
            if let newest { s.health.lastTickTime = max(s.health.lastTickTime ?? newest, newest) }
            s.health.lastAppendedAt = now
            if ticks > 0 {
                s.health.state = .ok
                s.health.reason = nil
                s.health.consecutiveFailures = 0
                s.health.nextRetry = nil
            }
        }
    }
}

private extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
