import EventLog

/// What an alert watches for: the `condition` string of an `AlertRule`, parsed.
public enum AlertCondition: String, Sendable, CaseIterable {
    /// The price is at or above the level.
    case priceAbove = "price_above"
    /// The price is at or below the level.
    case priceBelow = "price_below"
    /// The previous tick was below the level and this one is at or above it.
    case crossesAbove = "crosses_above"
    /// The previous tick was above the level and this one is at or below it.
    case crossesBelow = "crosses_below"
    /// The price moved by `percent` (signed: up if positive) within `windowSeconds`.
    case pctChange = "pct_change"

    /// Whether the rule needs a price level (all but `pct_change`).
    public var usesLevel: Bool { self != .pctChange }
}

/// How often an alert may fire: the `frequency` string of an `AlertRule`, parsed.
public enum AlertFrequency: String, Sendable, CaseIterable {
    /// At most once per rule version; an update re-arms it.
    case once
    /// Whenever the condition holds, at least `cooldownSeconds` of tick time apart.
    case every
}

extension AlertRule {
    /// The parsed condition; nil for a string this build does not know (such a rule never fires).
    public var parsedCondition: AlertCondition? { AlertCondition(rawValue: condition) }

    /// The parsed frequency; unknown strings count as `once`, the conservative reading.
    public var parsedFrequency: AlertFrequency { AlertFrequency(rawValue: frequency) ?? .once }

    /// What is wrong with the rule, as (field, message) pairs in field order; empty when it can be saved.
    ///
    /// `now` is only used to refuse an expiry in the past. Field names are the REST names.
    public func problems(now: Timestamp) -> [(field: String, message: String)] {
        var problems: [(String, String)] = []
        guard let condition = parsedCondition else {
            let known = AlertCondition.allCases.map(\.rawValue).joined(separator: ", ")
            return [("condition", "condition must be one of \(known), got '\(self.condition)'")]
        }
        if condition.usesLevel {
            if let price, price.isFinite, price > 0 {} else {
                problems.append(("price", "\(condition.rawValue) needs price, a positive number (the level in currency units)"))
            }
            if percent != nil { problems.append(("pct", "pct applies to pct_change only")) }
            if windowSeconds != nil { problems.append(("window", "window applies to pct_change only")) }
        } else {
            if let percent, percent.isFinite, percent != 0, percent > -100, percent <= 1_000 {} else {
                problems.append(("pct", "pct_change needs pct, a non-zero percentage above -100 and at most 1000 (negative or direction \"down\" for a fall)"))
            }
            if let window = windowSeconds, (1...Self.maxWindowSeconds).contains(window) {} else {
                problems.append(("window", "pct_change needs window, from 1 s to 7 days (\"30s\", \"5m\", \"1h\", \"1d\" or seconds)"))
            }
            if price != nil { problems.append(("price", "price applies to the price and crossing conditions only")) }
        }
        if AlertFrequency(rawValue: frequency) == nil {
            problems.append(("frequency", "frequency must be once or every, got '\(frequency)'"))
        }
        if cooldownSeconds > Self.maxCooldownSeconds {
            problems.append(("cooldown_s", "cooldown_s must be at most \(Self.maxCooldownSeconds) (30 days)"))
        }
        if let expiresAt, expiresAt <= now {
            problems.append(("expires_at", "expires_at must be in the future, got \(expiresAt.iso8601)"))
        }
        return problems
    }

    /// The longest pct_change window: 7 days.
    public static let maxWindowSeconds: UInt32 = 7 * 86_400
    /// The longest cooldown: 30 days.
    public static let maxCooldownSeconds: UInt32 = 30 * 86_400
}
