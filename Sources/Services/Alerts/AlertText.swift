import EventLog
import Foundation

/// Plain-language pieces of alert explanations, shared by `tape audit` and the REST `explain`.
enum AlertText {
    /// A price as the shortest decimal that round-trips (`101`, `101.5`).
    static func price(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// A signed percentage with two decimals (`+5.20 %`).
    static func percent(_ value: Double) -> String { String(format: "%+.2f %%", value) }

    /// `crosses_above 101 on token 408065; frequency every, cooldown 60 s; no expiry; enabled`.
    static func summary(of rule: AlertRule) -> String {
        var what = rule.condition
        if let price = rule.price { what += " \(self.price(price))" }
        if let percent = rule.percent { what += " \(self.percent(percent))" }
        if let window = rule.windowSeconds { what += " within \(window) s" }
        var text = "\(what) on token \(rule.token); frequency \(rule.frequency)"
        if rule.parsedFrequency == .every { text += ", cooldown \(rule.cooldownSeconds) s" }
        text += "; " + (rule.expiresAt.map { "expires \($0.iso8601)" } ?? "no expiry")
        text += rule.isEnabled ? "; enabled" : "; disabled"
        return text
    }

    /// `offset 1790, 2026-11-27T09:15:01.004Z, price 100.95`.
    static func describe(_ point: PricePoint) -> String {
        "offset \(point.offset), \(point.time.iso8601), price \(price(point.price))"
    }

    /// Whether a level condition holds for a price and the token's previous price (nil: no previous tick).
    static func levelConditionHolds(_ condition: AlertCondition, level: Double, price: Double, previous: Double?) -> Bool {
        switch condition {
        case .priceAbove: price >= level
        case .priceBelow: price <= level
        case .crossesAbove: previous.map { $0 < level && price >= level } ?? false
        case .crossesBelow: previous.map { $0 > level && price <= level } ?? false
        case .pctChange: false
        }
    }

    /// Where the price stood against the level, tick and previous tick: the sentence behind a level condition.
    static func levelReason(_ condition: AlertCondition, level: Double, tick: PricePoint, previous: PricePoint?) -> String {
        let l = price(level), p = price(tick.price)
        func side(_ value: Double) -> String { value < level ? "below" : value > level ? "above" : "at" }
        switch condition {
        case .priceAbove:
            return tick.price >= level ? "the price \(p) is at or above the level \(l)" : "the price \(p) is below the level \(l)"
        case .priceBelow:
            return tick.price <= level ? "the price \(p) is at or below the level \(l)" : "the price \(p) is above the level \(l)"
        case .crossesAbove, .crossesBelow:
            guard let previous else { return "there is no earlier tick of the token, so no crossing (the price \(p) is \(side(tick.price)) the level \(l))" }
            let before = "the previous tick (\(describe(previous))) was \(side(previous.price)) the level \(l)"
            let holds = levelConditionHolds(condition, level: level, price: tick.price, previous: previous.price)
            let direction = condition == .crossesAbove ? "above" : "below"
            return "\(before) and this tick, \(p), is \(side(tick.price)) it" + (holds ? ": it crossed \(direction)" : ": no crossing \(direction)")
        case .pctChange:
            return "pct_change has no level"
        }
    }

    /// Why the replay fired: the condition's sentence, then what the frequency allowed.
    static func reason(for firing: AlertEvaluator.Firing) -> String {
        let rule = firing.rule
        var text: String
        if let condition = rule.parsedCondition, condition == .pctChange, let reference = firing.reference,
           let percent = rule.percent, let window = rule.windowSeconds {
            let moved = (firing.tick.price - reference.price) / reference.price * 100
            let extreme = percent > 0 ? "low" : "high"
            text = "from the window's \(extreme) (\(describe(reference))) to \(price(firing.tick.price)) is \(self.percent(moved)), "
                + "at least the rule's \(self.percent(percent)) within \(window) s"
        } else if let condition = rule.parsedCondition, let level = rule.price {
            text = levelReason(condition, level: level, tick: firing.tick, previous: firing.previous)
        } else {
            text = "the rule's condition holds"
        }
        switch rule.parsedFrequency {
        case .once: text += "; frequency once, and this version had not fired yet"
        case .every where rule.cooldownSeconds == 0: text += "; frequency every, no cooldown"
        case .every: text += "; frequency every, and \(rule.cooldownSeconds) s or more since this version last fired (if it had)"
        }
        return text
    }
}
