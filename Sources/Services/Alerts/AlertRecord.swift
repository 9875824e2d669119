import EventLog

/// One version of an alert's rule: what the event at `offset` set it to.
public struct AlertVersion: Hashable, Sendable {
    /// The event that made the version.
    public enum Kind: String, Hashable, Sendable {
        case created, updated, deleted
    }

    public var version: UInt32
    public var kind: Kind
    /// The rule from this version on (for a deletion, the rule it ended).
    public var rule: AlertRule
    /// The offset of the event; the rule applies to ticks after it.
    public var offset: UInt64
    public var time: Timestamp

    public init(version: UInt32, kind: Kind, rule: AlertRule, offset: UInt64, time: Timestamp) {
        self.version = version
        self.kind = kind
        self.rule = rule
        self.offset = offset
        self.time = time
    }
}

/// An alert as the alerts projection knows it: owner, every version of its rule, and how often it fired.
public struct AlertRecord: Hashable, Sendable {
    public var alertID: UInt64
    public var userID: UInt64
    /// Every accepted version, oldest first; never empty.
    public var history: [AlertVersion]
    /// How many AlertTriggered events the log holds for it.
    public var firingCount: Int

    public init(alertID: UInt64, userID: UInt64, history: [AlertVersion], firingCount: Int = 0) {
        precondition(!history.isEmpty, "an alert has at least its creation")
        self.alertID = alertID
        self.userID = userID
        self.history = history
        self.firingCount = firingCount
    }

    /// The latest version.
    public var current: AlertVersion { history[history.count - 1] }
    public var version: UInt32 { current.version }
    public var rule: AlertRule { current.rule }
    public var isDeleted: Bool { current.kind == .deleted }
    public var createdAt: Timestamp { history[0].time }
    public var updatedAt: Timestamp { current.time }

    /// The version numbered `version`, if the alert had one.
    public func version(_ version: UInt32) -> AlertVersion? { history.first { $0.version == version } }

    /// What accepting a change depends on.
    public var lifecycle: AlertLifecycle { isDeleted ? .deleted : .live(version: version) }
}
