import EventLog

/// Time as feeds and their supervisor see it: what time it is, and waiting for a time.
///
/// Injected so that tests drive backoff, pacing and stall detection by moving a manual clock
/// instead of sleeping. Implementations are safe to call from any thread.
public protocol FeedClock: Sendable {
    /// The current time.
    func now() -> Timestamp
    /// Returns once `now()` reaches `deadline` or `isCancelled()` holds. `isCancelled` is
    /// checked again after every `wake()`, so a stop request never waits out a long sleep.
    func sleep(until deadline: Timestamp, unless isCancelled: () -> Bool)
    /// Makes every sleeper check its `isCancelled` again.
    func wake()
}

/// The wall clock (`CLOCK_REALTIME`), sleeping on a condition variable that `wake()` signals.
/// Safe to use from any thread.
public final class SystemFeedClock: FeedClock {
    /// Bumped by `wake()`; waiting on it gives sleepers a condition variable to be woken on.
    private let wakeups = Monitor(UInt64(0))

    /// A clock; each one wakes only its own sleepers.
    public init() {}

    public func now() -> Timestamp { Timestamp.now() }

    public func sleep(until deadline: Timestamp, unless isCancelled: () -> Bool) {
        while true {
            let left = deadline.rawValue &- now().rawValue
            if left <= 0 { return }
            // The predicate runs under the monitor's mutex, and `wake()` takes that mutex after the
            // canceller set its flag: either this check sees the flag or the broadcast wakes the wait.
            let cancelled = wakeups.wait(until: { _ in isCancelled() }, timeout: .nanoseconds(left)) { _ in isCancelled() }
            if cancelled { return }
        }
    }

    public func wake() { wakeups.update { $0 &+= 1 } }
}
