import EventLog

/// How a supervised feed is doing, as `FeedSupervisor.health` reports it (for `/health` and logs).
public struct FeedHealth: Hashable, Sendable {
    /// The circuit breaker's position.
    public enum State: String, Hashable, Sendable {
        /// Started (or restarted after `stop`), no tick yet.
        case starting
        /// Ticks are arriving.
        case ok
        /// The feed failed and waits for (or is in) a retry, or no tick came for the stall time;
        /// `reason` says which.
        case degraded
        /// `stop()` was called.
        case stopped
    }

    /// The feed's name (`simulated`).
    public var feed: String
    public var state: State
    /// Why the feed is degraded; nil otherwise.
    public var reason: String?
    /// Ticks appended since the supervisor started.
    public var ticksAppended: UInt64
    /// The event time of the newest tick appended.
    public var lastTickTime: Timestamp?
    /// When (by the supervisor's clock) the newest tick was appended.
    public var lastAppendedAt: Timestamp?
    /// Failures since the last tick: the backoff's exponent.
    public var consecutiveFailures: Int
    /// When the next restart is due, while waiting for one.
    public var nextRetry: Timestamp?

    /// Health as given (the supervisor builds it; tests compare with it).
    public init(feed: String, state: State, reason: String? = nil, ticksAppended: UInt64 = 0, lastTickTime: Timestamp? = nil,
                lastAppendedAt: Timestamp? = nil, consecutiveFailures: Int = 0, nextRetry: Timestamp? = nil) {
        self.feed = feed
        self.state = state
        self.reason = reason
        self.ticksAppended = ticksAppended
        self.lastTickTime = lastTickTime
        self.lastAppendedAt = lastAppendedAt
        self.consecutiveFailures = consecutiveFailures
        self.nextRetry = nextRetry
    }

    /// Writes the health as one JSON object (`feed`, `state`, `reason`, `ticks_appended`, ...).
    public func writeJSON(to j: inout JSONText) {
        j.beginObject()
        j.key("feed"); j.value(feed)
        j.key("state"); j.value(state.rawValue)
        j.key("reason"); if let reason { j.value(reason) } else { j.null() }
        j.key("ticks_appended"); j.value(ticksAppended)
        j.key("last_tick_time"); if let lastTickTime { j.seconds(lastTickTime) } else { j.null() }
        j.key("consecutive_failures"); j.value(consecutiveFailures)
        j.key("next_retry"); if let nextRetry { j.seconds(nextRetry) } else { j.null() }
        j.endObject()
    }
}
