import EventLog
@testable import Services

/// A clock that moves only when a test moves it; sleepers wake when it reaches their deadline.
final class ManualFeedClock: FeedClock, @unchecked Sendable {
    private struct State {
        var now: Timestamp
        var sleepers = 0
    }
    private let state: Monitor<State>

    init(_ start: Timestamp = Timestamp(seconds: 1_764_300_000)) { state = Monitor(State(now: start)) }

    func now() -> Timestamp { state.withLock { $0.now } }

    func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        state.update { $0.now = Timestamp(rawValue: $0.now.rawValue + seconds * 1_000_000_000 + attoseconds / 1_000_000_000) }
    }

    func sleep(until deadline: Timestamp, unless isCancelled: () -> Bool) {
        state.update { $0.sleepers += 1 }
        state.wait(until: { $0.now >= deadline || isCancelled() }, timeout: nil) { $0.sleepers -= 1 }
        state.update { _ in }  // wake `waitForSleepers`
    }

    func wake() { state.update { _ in } }

    /// Blocks until `count` threads sleep on this clock (a feed waiting for its next batch).
    func waitForSleepers(_ count: Int = 1) {
        state.wait(until: { $0.sleepers >= count }, timeout: .seconds(30)) { _ in }
    }
}
