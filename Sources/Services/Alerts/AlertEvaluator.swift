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

    private(set) var rules: [UInt64: RuleState] = [:]
    /// The last tick of every token, whatever the rules: crossings need the price before a rule existed.
    private(set) var lastTicks: [UInt32: PricePoint] = [:]
    /// Deleted alert ids, so that a late AlertCreated cannot bring one back.
    private(set) var retired: Set<UInt64> = []
    /// Alert ids by token, ascending, for the tick hot path.
    private var byToken: [UInt32: [UInt64]] = [:] {
        didSet { slotsByToken = nil }
    }
    /// `byToken` as positions in `rules`, so a tick reaches its rules without hashing their ids.
    /// Positions stay valid while no rule is added or removed; any change of `byToken` or of the
    /// set of rules drops them (nil) and the next tick rebuilds them.
    private var slotsByToken: [UInt32: [Dictionary<UInt64, RuleState>.Index]]?
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
        if let state = rules[alertID] { return .live(version: state.version) }
        return retired.contains(alertID) ? .deleted : .unknown
    }

    private mutating func create(_ change: AlertChange, at offset: UInt64) {
        guard only?.contains(change.alertID) ?? true, Self.accepts(.alertCreated(change), given: lifecycle(of: change.alertID)) else { return }
        rules[change.alertID] = RuleState(alertID: change.alertID, userID: change.userID, version: change.version,
                                          rule: change.rule, since: offset)
        slotsByToken = nil
        index(change.alertID, token: change.rule.token)
    }

    private mutating func update(_ change: AlertChange, at offset: UInt64) {
        guard Self.accepts(.alertUpdated(change), given: lifecycle(of: change.alertID)), var state = rules[change.alertID] else { return }
        if state.rule.token != change.rule.token {
            unindex(change.alertID, token: state.rule.token)
            index(change.alertID, token: change.rule.token)
        }
        state.rearm(change, at: offset)
        rules[change.alertID] = state
        slotsByToken = nil
    }

    private mutating func delete(_ deleted: AlertDeleted) {
        guard let state = rules.removeValue(forKey: deleted.alertID) else { return }
        slotsByToken = nil
        unindex(deleted.alertID, token: state.rule.token)
        retired.insert(deleted.alertID)
    }

    private mutating func index(_ alertID: UInt64, token: UInt32) {
        var ids = byToken[token] ?? []
        let position = ids.firstIndex { $0 > alertID } ?? ids.count
        ids.insert(alertID, at: position)
        byToken[token] = ids
    }

    private mutating func unindex(_ alertID: UInt64, token: UInt32) {
        byToken[token]?.removeAll { $0 == alertID }
        if byToken[token]?.isEmpty == true { byToken[token] = nil }
    }

    // MARK: evaluating

    /// Evaluates every rule on the tick's token against it, in ascending alert id, then remembers it
    /// as the token's previous tick.
    public mutating func evaluate(_ tick: Tick, offset: UInt64, time: Timestamp) -> [Firing] {
        let point = PricePoint(tick, offset: offset, time: time)
        let previous = lastTicks[tick.token]
        lastTicks[tick.token] = point
        if slotsByToken == nil {
            // Only rules that can still fire: a `once` rule that fired, or a disabled one, waits for an update.
            slotsByToken = byToken.mapValues { ids in
                ids.compactMap { id in rules.index(forKey: id).flatMap { rules.values[$0].isArmed ? $0 : nil } }
            }
        }
        guard let slots = slotsByToken?[tick.token] else { return [] }
        var firings: [Firing] = []
        for index in slots {
            // In place: copying a rule's state out and back would copy its pct window on every tick.
            guard let firing = Self.evaluate(&rules.values[index], point, previous: previous) else { continue }
            firings.append(firing)
            if !rules.values[index].isArmed { slotsByToken?[tick.token]?.removeAll { $0 == index } }
        }
        return firings
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
    public var alertCount: Int { rules.count }

    /// The version and rule an alert has now, or nil if it is not live.
    public func rule(of alertID: UInt64) -> (version: UInt32, rule: AlertRule, userID: UInt64)? {
        rules[alertID].map { ($0.version, $0.rule, $0.userID) }
    }

    /// The last tick seen of a token.
    public func lastTick(of token: UInt32) -> PricePoint? { lastTicks[token] }

    /// Rebuilds the token index after decoding.
    mutating func reindex() {
        byToken = [:]
        for id in rules.keys.sorted() { byToken[rules[id]!.rule.token, default: []].append(id) }
    }

    /// Replaces the state with decoded parts (see `AlertEvaluator+Coding`).
    init(rules: [UInt64: RuleState], lastTicks: [UInt32: PricePoint], retired: Set<UInt64>) {
        self.only = nil
        self.rules = rules
        self.lastTicks = lastTicks
        self.retired = retired
        reindex()
    }
}
