import EventLog

/// A tick as alert rules see it: where it is in the log, its event time, and its price.
public struct PricePoint: Hashable, Sendable {
    public var offset: UInt64
    public var time: Timestamp
    /// The price in minor units, with its decimals, exactly as the tick carried it.
    public var units: Int64
    public var decimals: UInt8

    public init(offset: UInt64, time: Timestamp, units: Int64, decimals: UInt8) {
        self.offset = offset
        self.time = time
        self.units = units
        self.decimals = decimals
    }

    /// The point of a tick at `offset`.
    public init(_ tick: Tick, offset: UInt64, time: Timestamp) {
        self.init(offset: offset, time: time, units: tick.price, decimals: tick.decimals)
    }

    /// The price in currency units.
    public var price: Double { Double(units) / Tick.scale(decimals) }

    /// Whether this price is at least `percent` % above `reference` (percent > 0) or at least |percent| %
    /// below it (percent < 0). Computed in minor units when both share their decimals, so that a move
    /// of exactly the percentage counts (98.98 is exactly −2 % from 101).
    public func hasMoved(_ percent: Double, from reference: PricePoint) -> Bool {
        guard reference.units > 0 else { return false }
        let change: Double, base: Double
        if decimals == reference.decimals {
            change = Double(units - reference.units) * 100
            base = Double(reference.units)
        } else {
            change = (price - reference.price) * 100
            base = reference.price
        }
        return percent > 0 ? change >= percent * base : change <= percent * base
    }
}

/// Where an alert stands for the purpose of accepting a change to it.
public enum AlertLifecycle: Hashable, Sendable {
    case unknown
    case live(version: UInt32)
    case deleted
}

/// Evaluates price alerts against ticks in log order: a pure fold of rule events and ticks,
/// with no clock (time is the tick's event time), no randomness and no I/O.
///
/// Semantics (pinned by `AlertEvaluatorTests`, against a brute-force model of this list):
/// - `price_above` holds when the tick's price is ≥ the level, `price_below` when ≤.
/// - `crosses_above` holds when the token's previous tick in the log was < the level and this one
///   is ≥ it; `crosses_below` when the previous was > and this one ≤. The previous tick may predate
///   the rule (the price the user saw when creating it), a jump over the level between two ticks is
///   a crossing, and with no previous tick there is no crossing. Reaching the level counts as crossing it.
/// - `pct_change` with percent p > 0 holds when the price is at least p % above the lowest price
///   among this rule version's window: the token's earlier ticks seen by the rule with time in
///   `[t − window, t]`; p < 0 when at least |p| % below the highest. After a firing the window
///   restarts at the firing tick, so each firing is a fresh move. (Windows assume a token's tick
///   times do not go backwards, as exchange times do not.)
/// - `once` fires at most once per rule version; `every` fires whenever the condition holds and at
///   least `cooldownSeconds` of tick time passed since the previous firing (crossings during the
///   cooldown are dropped, not deferred).
/// - A disabled rule, or a tick at or after `expiresAt`, never fires.
/// - A rule sees only ticks after the event that set its version (log order). Every update re-arms
///   it: the once flag, cooldown and window start afresh. Deleting ends it; ids are never reused.
/// - Firings for one tick come out in ascending alert id.
///
/// A value type, owned by one thread at a time (the alert engine's, or an audit's).
public struct AlertEvaluator: Sendable {
    /// A firing the rules produced for a tick, with everything that explains it.
    public struct Firing: Hashable, Sendable {
        public var alertID: UInt64
        public var userID: UInt64
        public var ruleVersion: UInt32
        /// 1-based: how many times the alert has fired, this one included.
        public var n: UInt64
        /// The rule as of `ruleVersion`.
        public var rule: AlertRule
        /// The triggering tick.
        public var tick: PricePoint
        /// The token's previous tick in the log, if there was one: what makes a crossing.
        public var previous: PricePoint?
        /// For `pct_change`: the lowest (up) or highest (down) price in the window that the move is measured from.
        public var reference: PricePoint?

        /// The event that records this firing in the log.
        public var triggered: AlertTriggered {
            AlertTriggered(alertID: alertID, ruleVersion: ruleVersion, tickOffset: tick.offset, price: tick.price, tickTime: tick.time)
        }
    }

    /// One alert's rule and the state its evaluation carries from tick to tick.
    struct RuleState: Sendable {
        var alertID: UInt64
        var userID: UInt64
        var version: UInt32
        /// The rule; its condition and frequency are parsed once here, not on every tick.
        var rule: AlertRule {
            didSet { parse() }
        }
        private(set) var condition: AlertCondition?
        private(set) var frequency: AlertFrequency = .once
        /// The rule's scalars, copied out so the tick loop never touches (or retains) its strings.
        private(set) var isEnabled = true
        private(set) var level: Double?
        private(set) var percent: Double?
        private(set) var windowSeconds: UInt32?
        private(set) var cooldownSeconds: UInt32 = 0
        private(set) var expiresAt: Timestamp?
        /// The offset of the event that set this version.
        var since: UInt64
        /// This version has fired (what `once` checks).
        var hasFired = false
        /// Tick time of this version's last firing (what the cooldown counts from).
        var lastFiring: Timestamp?
        /// Firings over all versions, for `Firing.n`.
        var firings: UInt64 = 0
        /// `pct_change`: a monotonic deque (prices increasing for up, decreasing for down) over
        /// `window[windowHead...]`, so the front is the window's extreme in amortized O(1).
        var window: [PricePoint] = []
        var windowHead = 0

        var liveWindow: ArraySlice<PricePoint> { window[windowHead...] }

        /// Whether a tick could still fire this rule (expiry is checked per tick).
        var isArmed: Bool { isEnabled && condition != nil && !(frequency == .once && hasFired) }

        init(alertID: UInt64, userID: UInt64, version: UInt32, rule: AlertRule, since: UInt64) {
            self.alertID = alertID
            self.userID = userID
            self.version = version
            self.rule = rule
            self.since = since
            parse()
        }

        private mutating func parse() {
            condition = rule.parsedCondition
            frequency = rule.parsedFrequency
            isEnabled = rule.isEnabled
            level = rule.price
            percent = rule.percent
            windowSeconds = rule.windowSeconds
            cooldownSeconds = rule.cooldownSeconds
            expiresAt = rule.expiresAt
        }

        mutating func rearm(_ change: AlertChange, at offset: UInt64) {
            version = change.version
            rule = change.rule
            since = offset
            hasFired = false
            lastFiring = nil
            window = []
            windowHead = 0
        }
    }

    /// The rules of each token, in ascending alert id. Grouped by token because a tick changes only
    /// its own token's rules: after the engine's checkpoint takes a copy-on-write snapshot, the next
    /// tick copies one group (tens of rules), not every rule (with 100,000 rules one dictionary took
    /// 60 ms to copy, and firings waited behind it).
    private(set) var groups: [UInt32: RuleGroup] = [:]
    /// The token of every live alert, to find its group.
    private var tokenOfAlert: [UInt64: UInt32] = [:]
    /// The last tick of every token, whatever the rules: crossings need the price before a rule existed.
    private(set) var lastTicks: [UInt32: PricePoint] = [:]
    /// Deleted alert ids, so that a late AlertCreated cannot bring one back.
    private(set) var retired: Set<UInt64> = []

    /// One token's rules.
    struct RuleGroup: Sendable {
        /// In ascending alert id.
        private(set) var states: [RuleState] = []
        /// Positions in `states` of the rules that can still fire (a `once` rule that fired, or a
        /// disabled one, waits for an update); nil after any change, rebuilt by the next tick.
        var armed: [Int]?

        func position(of alertID: UInt64) -> Int? {
            let i = insertionPoint(of: alertID)
            return i < states.count && states[i].alertID == alertID ? i : nil
        }

        /// Where `alertID` is or would go, keeping `states` in id order.
        private func insertionPoint(of alertID: UInt64) -> Int {
            states.partitioningIndex { $0.alertID >= alertID }
        }

        mutating func put(_ state: RuleState) {
            let i = insertionPoint(of: state.alertID)
            if i < states.count && states[i].alertID == state.alertID { states[i] = state } else { states.insert(state, at: i) }
            armed = nil
        }

        mutating func remove(_ alertID: UInt64) -> RuleState? {
            guard let i = position(of: alertID) else { return nil }
            armed = nil
            return states.remove(at: i)
        }

        /// Evaluates the armed rules, in ascending alert id, in place.
        mutating func evaluate(_ point: PricePoint, previous: PricePoint?) -> [Firing] {
            if armed == nil { armed = states.indices.filter { states[$0].isArmed } }
            var firings: [Firing] = []
            for i in armed! {
                guard let firing = AlertEvaluator.evaluate(&states[i], point, previous: previous) else { continue }
                firings.append(firing)
                if !states[i].isArmed { armed!.removeAll { $0 == i } }
            }
            return firings
        }
    }

    /// An alert's live state.
    func state(of alertID: UInt64) -> RuleState? {
        guard let token = tokenOfAlert[alertID], let group = groups[token], let i = group.position(of: alertID) else { return nil }
        return group.states[i]
    }

    /// Every live alert id, ascending.
    var alertIDs: [UInt64] { tokenOfAlert.keys.sorted() }

    /// Only these alerts are tracked (an audit of a few); nil tracks all.
    private let only: Set<UInt64>?

    /// An evaluator that has seen nothing; `only` restricts it to some alerts (the others are ignored,
    /// which does not change what the tracked ones do: alerts never influence each other).
    public init(only: Set<UInt64>? = nil) {
        self.only = only
    }

    // MARK: folding

    /// Folds one log entry: rule events change the rules, ticks are evaluated; anything else is ignored.
    public mutating func apply(_ entry: LogEntry) -> [Firing] {
        switch entry.event {
        case .tick(let tick):
            return evaluate(tick, offset: entry.offset, time: entry.time)
        case .alertCreated(let change):
            create(change, at: entry.offset)
        case .alertUpdated(let change):
            update(change, at: entry.offset)
        case .alertDeleted(let deleted):
            delete(deleted)
        default:
            break
        }
        return []
    }

    /// Whether a change takes effect on an alert in `state`; the alerts projection applies the same rule.
    /// A creation needs an unused id, an update a live alert and a higher version, a deletion a live alert.
    public static func accepts(_ event: Event, given state: AlertLifecycle) -> Bool {
        switch (event, state) {
        case (.alertCreated, .unknown): true
        case (.alertUpdated(let change), .live(let version)): change.version > version
        case (.alertDeleted, .live): true
        default: false
        }
    }

    private func lifecycle(of alertID: UInt64) -> AlertLifecycle {
        if let state = state(of: alertID) { return .live(version: state.version) }
        return retired.contains(alertID) ? .deleted : .unknown
    }

    private mutating func create(_ change: AlertChange, at offset: UInt64) {
        guard only?.contains(change.alertID) ?? true, Self.accepts(.alertCreated(change), given: lifecycle(of: change.alertID)) else { return }
        put(RuleState(alertID: change.alertID, userID: change.userID, version: change.version, rule: change.rule, since: offset))
    }

    private mutating func update(_ change: AlertChange, at offset: UInt64) {
        guard Self.accepts(.alertUpdated(change), given: lifecycle(of: change.alertID)), var state = state(of: change.alertID) else { return }
        if state.rule.token != change.rule.token { removeFromGroup(change.alertID, token: state.rule.token) }
        state.rearm(change, at: offset)
        put(state)
    }

    private mutating func delete(_ deleted: AlertDeleted) {
        guard let token = tokenOfAlert.removeValue(forKey: deleted.alertID) else { return }
        removeFromGroup(deleted.alertID, token: token)
        retired.insert(deleted.alertID)
    }

    private mutating func removeFromGroup(_ alertID: UInt64, token: UInt32) {
        _ = groups[token]?.remove(alertID)
        if groups[token]?.states.isEmpty == true { groups[token] = nil }
    }

    /// Stores a rule's state in its token's group.
    private mutating func put(_ state: RuleState) {
        tokenOfAlert[state.alertID] = state.rule.token
        groups[state.rule.token, default: RuleGroup()].put(state)
    }

    // MARK: evaluating

    /// Evaluates every rule on the tick's token against it, in ascending alert id, then remembers it
    /// as the token's previous tick.
    public mutating func evaluate(_ tick: Tick, offset: UInt64, time: Timestamp) -> [Firing] {
        let point = PricePoint(tick, offset: offset, time: time)
        let previous = lastTicks[tick.token]
        lastTicks[tick.token] = point
        // In place: copying a group out and back would copy its rules (and their pct windows) on every tick.
        guard groups[tick.token] != nil else { return [] }
        return groups[tick.token]!.evaluate(point, previous: previous)
    }

    /// One rule against one tick; mutates the rule's state (window, once flag, cooldown).
    static func evaluate(_ state: inout RuleState, _ point: PricePoint, previous: PricePoint?) -> Firing? {
        guard state.isEnabled, let condition = state.condition else { return nil }
        if let expiry = state.expiresAt, point.time >= expiry { return nil }
        let frequency = state.frequency
        if frequency == .once && state.hasFired { return nil }

        var reference: PricePoint?
        let holds: Bool
        switch condition {
        case .priceAbove:
            holds = state.level.map { point.price >= $0 } ?? false
        case .priceBelow:
            holds = state.level.map { point.price <= $0 } ?? false
        case .crossesAbove:
            holds = state.level.map { level in previous.map { $0.price < level && point.price >= level } ?? false } ?? false
        case .crossesBelow:
            holds = state.level.map { level in previous.map { $0.price > level && point.price <= level } ?? false } ?? false
        case .pctChange:
            guard let percent = state.percent, percent != 0, let window = state.windowSeconds else { return nil }
            reference = slideWindow(&state, to: point, seconds: window, rising: percent > 0)
            holds = reference.map { point.hasMoved(percent, from: $0) } ?? false
        }
        guard holds else { return nil }
        if frequency == .every, let last = state.lastFiring,
           point.time.rawValue - last.rawValue < Int64(state.cooldownSeconds) * 1_000_000_000 {
            return nil
        }
        state.hasFired = true
        state.lastFiring = point.time
        state.firings += 1
        if condition == .pctChange {
            state.window = [point]
            state.windowHead = 0
        }
        return Firing(alertID: state.alertID, userID: state.userID, ruleVersion: state.version, n: state.firings, rule: state.rule,
                      tick: point, previous: previous, reference: reference)
    }

    /// Drops window entries older than `t − seconds`, returns the window's extreme (the reference
    /// for this tick, which is not in the window yet), then pushes the tick.
    private static func slideWindow(_ state: inout RuleState, to point: PricePoint, seconds: UInt32, rising: Bool) -> PricePoint? {
        let oldest = point.time.rawValue - Int64(seconds) * 1_000_000_000
        while state.windowHead < state.window.count && state.window[state.windowHead].time.rawValue < oldest {
            state.windowHead += 1
        }
        let reference = state.windowHead < state.window.count ? state.window[state.windowHead] : nil
        // Keep the deque monotonic: a new low (rising) or high (falling) makes older, worse ones useless.
        while state.window.count > state.windowHead,
              let back = state.window.last, rising ? back.price >= point.price : back.price <= point.price {
            state.window.removeLast()
        }
        state.window.append(point)
        if state.windowHead > 64 && state.windowHead * 2 > state.window.count {
            state.window.removeFirst(state.windowHead)
            state.windowHead = 0
        }
        return reference
    }

    // MARK: reading

    /// The alerts being tracked.
    public var alertCount: Int { tokenOfAlert.count }

    /// The version and rule an alert has now, or nil if it is not live.
    public func rule(of alertID: UInt64) -> (version: UInt32, rule: AlertRule, userID: UInt64)? {
        state(of: alertID).map { ($0.version, $0.rule, $0.userID) }
    }

    /// The last tick of a token.
    public func lastTick(of token: UInt32) -> PricePoint? { lastTicks[token] }

    /// Replaces the state with decoded parts (see `AlertEvaluator+Coding`).
    init(rules: [RuleState], lastTicks: [UInt32: PricePoint], retired: Set<UInt64>) {
        self.only = nil
        self.lastTicks = lastTicks
        self.retired = retired
        for state in rules { put(state) }
    }
}
