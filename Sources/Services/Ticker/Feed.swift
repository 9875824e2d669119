import EventLog

/// A source of live ticks, run by a `FeedSupervisor` on the supervisor's thread.
public protocol Feed: Sendable {
    /// A short name for health reports and logs (`simulated`).
    var name: String { get }

    /// Produces ticks into `context` until `context.isStopRequested`, then returns.
    ///
    /// Throwing, or returning before a stop was requested, is a failure: the supervisor reports
    /// the feed degraded and calls `run` again after a backoff. Waits must go through
    /// `context.sleep(until:)` so that a stop request (and a test's clock) reaches them.
    func run(_ context: FeedContext) throws
}

/// What a running feed may do: append ticks, read and wait on the supervisor's clock, and see
/// a stop request. Handed to `Feed.run` on the supervisor's thread; valid only during that call.
public struct FeedContext: Sendable {
    let supervisor: FeedSupervisor

    /// True once `FeedSupervisor.stop()` was called: `run` should return.
    public var isStopRequested: Bool { supervisor.isStopRequested }

    /// The supervisor's clock.
    public func now() -> Timestamp { supervisor.clock.now() }

    /// Waits until `deadline` on the supervisor's clock, or less if a stop is requested.
    public func sleep(until deadline: Timestamp) {
        supervisor.clock.sleep(until: deadline) { supervisor.isStopRequested }
    }

    /// Appends records (ticks) as one batch and counts them towards the feed's health.
    /// Throws what the log throws; a feed usually lets that end its `run`.
    public func append(_ records: [Record]) throws {
        try supervisor.append(records)
    }
}
