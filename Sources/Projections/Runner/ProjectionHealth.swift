import EventLog

/// Where a projection stands, for `/health` and `tape` status output.
public struct ProjectionHealth: Hashable, Sendable {
    /// The projection's lifecycle.
    public enum State: Hashable, Sendable {
        /// Applying the backlog (after start, or a rebuild).
        case catchingUp
        /// Caught up with the log once and following it.
        case live
        /// Stopped on request.
        case stopped
        /// Stopped by an error; never becomes live again without a restart.
        case failed(ProjectionFailure)
    }

    public var name: String
    public var version: Int
    public var state: State
    /// The next offset to apply: every entry below it is folded and committed.
    public var nextOffset: UInt64
    /// The offset of the last applied entry; nil before the first.
    public var lastAppliedOffset: UInt64? { nextOffset == 0 ? nil : nextOffset - 1 }
    /// Entries in the log not yet applied.
    public var lagEvents: UInt64
    /// Event time of the newest log entry minus that of the last applied one (0 when caught up).
    public var lagSeconds: Double
    /// When the runner last refreshed this (its injected clock); lets a reader spot a stuck runner.
    public var updatedAt: Timestamp
    /// Why the last commit was refused (a full disk) while the runner retries it; nil once one commits.
    public var retrying: String?

    public init(name: String, version: Int, state: State, nextOffset: UInt64, lagEvents: UInt64,
                lagSeconds: Double, updatedAt: Timestamp) {
        self.name = name
        self.version = version
        self.state = state
        self.nextOffset = nextOffset
        self.lagEvents = lagEvents
        self.lagSeconds = lagSeconds
        self.updatedAt = updatedAt
    }
}

/// Why a projection stopped: where, on which event, and the error.
public struct ProjectionFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The offset of the entry that failed; nil when the failure was not in `apply` (SQLite, the log).
    public var offset: UInt64?
    /// The failing entry's event type name (`instrument_listed`); nil when `offset` is.
    public var eventType: String?
    public var message: String

    public init(offset: UInt64?, eventType: String?, message: String) {
        self.offset = offset
        self.eventType = eventType
        self.message = message
    }

    public var description: String {
        if let offset {
            return "projection failed at offset \(offset) (\(eventType ?? "?")): \(message)"
        }
        return "projection failed: \(message)"
    }
}
