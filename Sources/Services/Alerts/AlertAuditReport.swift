import EventLog

/// What the audit found about one logged firing; a value, safe to hand between threads.
public struct AlertAuditFinding: Sendable {
    /// Whether re-evaluating the rule gives the same answer as the log.
    public enum Verdict: Hashable, Sendable {
        /// The replay fires this alert on this tick with the same rule version, price and time.
        case confirmed
        /// The replay fires on this tick, but not as logged (the detail says how).
        case mismatch(String)
        /// The replay does not fire this alert on this tick (the detail says why).
        case notReproduced(String)
        /// An earlier event (at `ofOffset`) already logged this (alert, tick) firing.
        case duplicate(ofOffset: UInt64)

        /// `confirmed`, `mismatch`, `not_reproduced`, `duplicate`.
        public var name: String {
            switch self {
            case .confirmed: "confirmed"
            case .mismatch: "mismatch"
            case .notReproduced: "not_reproduced"
            case .duplicate: "duplicate"
            }
        }
    }

    /// The firing as the log records it (its number counts the alert's AlertTriggered events in log order).
    public var logged: AlertFiring
    /// The alert's owner, if the replay saw its creation.
    public var userID: UInt64?
    /// The rule as it was at the logged version, from the log's rule events.
    public var rule: AlertVersion?
    /// The triggering tick as the log has it, and its token.
    public var tick: PricePoint?
    public var tickToken: UInt32?
    /// The token's tick before it: what makes (or does not make) a crossing.
    public var previous: PricePoint?
    /// What the replay gave for this alert on this tick.
    public var replayed: AlertEvaluator.Firing?
    public var verdict: AlertAuditFinding.Verdict

    /// Whether the log and the replay agree on this firing.
    public var isConfirmed: Bool { verdict == .confirmed }

    /// For `pct_change`: the window price the move is measured from.
    public var reference: PricePoint? { replayed?.reference }

    /// Why the rule fired on this tick, in a sentence.
    public var explanation: String {
        if let replayed { return AlertText.reason(for: replayed) }
        if let rule, let tick, let condition = rule.rule.parsedCondition, condition.usesLevel, let level = rule.rule.price {
            return AlertText.levelReason(condition, level: level, tick: tick, previous: previous)
        }
        return "the replay gives no firing to explain"
    }

    /// The verdict in a sentence.
    public var verdictText: String {
        let a = logged.alertID, v = logged.ruleVersion, t = logged.tickOffset
        switch verdict {
        case .confirmed:
            return "CONFIRMED: replaying the log through offset \(t) fires rule v\(v) of alert \(a) on this tick at the same price"
        case .mismatch(let detail):
            return "MISMATCH: \(detail)"
        case .notReproduced(let detail):
            return "NOT REPRODUCED: replaying the log gives no firing of alert \(a) on the tick at offset \(t): \(detail)"
        case .duplicate(let first):
            return "DUPLICATE: the event at offset \(first) already logged this firing (alert \(a), tick offset \(t))"
        }
    }

    /// A block of text a reader without the code can follow.
    public var text: String {
        var lines = ["Firing \(logged.n) of alert \(logged.alertID)" + (userID.map { " (user \($0))" } ?? "") + ": \(verdict.name.uppercased())"]
        lines.append("  logged    event at offset \(logged.offset): rule v\(logged.ruleVersion) fired on the tick at offset \(logged.tickOffset), "
                     + "price \(AlertText.price(logged.price)), \(logged.time.iso8601)")
        if let rule {
            lines.append("  rule v\(rule.version)   " + AlertText.summary(of: rule.rule))
            lines.append("            set by alert_\(rule.kind.rawValue) at offset \(rule.offset), \(rule.time.iso8601)")
        } else {
            lines.append("  rule      the log holds no version \(logged.ruleVersion) of alert \(logged.alertID)")
        }
        if let tick { lines.append("  tick      \(AlertText.describe(tick))" + (tickToken.map { ", token \($0)" } ?? "")) }
        lines.append("  previous  " + (previous.map(AlertText.describe) ?? "none: the first tick of the token in the log"))
        if let reference { lines.append("  reference \(AlertText.describe(reference))") }
        lines.append("  why       \(explanation)")
        lines.append("  verdict   \(verdictText)")
        return lines.joined(separator: "\n")
    }

    /// The finding as a JSON object (prices in currency units, times in Unix seconds).
    public func writeJSON(to j: inout JSONText) {
        j.beginObject()
        j.key("alert_id"); j.value(logged.alertID)
        j.key("n"); j.value(logged.n)
        j.key("user_id"); if let userID { j.value(userID) } else { j.null() }
        j.key("verdict"); j.value(verdict.name)
        j.key("consistent"); j.value(isConfirmed)
        j.key("verdict_text"); j.value(verdictText)
        j.key("explanation"); j.value(explanation)
        j.key("firing"); logged.writeJSON(to: &j)
        j.key("rule")
        if let rule {
            j.beginObject()
            j.key("version"); j.value(rule.version)
            j.key("set_by"); j.value("alert_" + rule.kind.rawValue)
            j.key("set_at_offset"); j.value(rule.offset)
            j.key("set_at"); j.seconds(rule.time)
            Self.writeRuleFields(rule.rule, to: &j)
            j.endObject()
        } else {
            j.null()
        }
        j.key("tick"); Self.write(tick, token: tickToken, to: &j)
        j.key("previous_tick"); Self.write(previous, token: nil, to: &j)
        j.key("reference_tick"); Self.write(reference, token: nil, to: &j)
        j.endObject()
    }

    /// The rule's fields under their REST names.
    public static func writeRuleFields(_ rule: AlertRule, to j: inout JSONText) {
        j.key("token"); j.value(rule.token)
        j.key("condition"); j.value(rule.condition)
        j.key("price"); if let price = rule.price { j.value(price) } else { j.null() }
        j.key("pct"); if let percent = rule.percent { j.value(percent) } else { j.null() }
        j.key("window_s"); if let window = rule.windowSeconds { j.value(window) } else { j.null() }
        j.key("frequency"); j.value(rule.frequency)
        j.key("cooldown_s"); j.value(rule.cooldownSeconds)
        j.key("expires_at"); if let expiry = rule.expiresAt { j.seconds(expiry) } else { j.null() }
        j.key("enabled"); j.value(rule.isEnabled)
    }

    private static func write(_ point: PricePoint?, token: UInt32?, to j: inout JSONText) {
        guard let point else { return j.null() }
        j.beginObject()
        j.key("offset"); j.value(point.offset)
        j.key("time"); j.seconds(point.time)
        if let token { j.key("token"); j.value(token) }
        j.key("price"); j.value(point.price)
        j.endObject()
    }
}

/// The outcome of `AlertAudit.audit`: a finding per logged firing in scope, and the firings the
/// replay gives that the log lacks. A value, safe to hand between threads.
public struct AlertAuditReport: Sendable {
    /// What was audited.
    public struct Scope: Sendable {
        public var alertIDs: Set<UInt64>?
        public var firing: UInt64?
        public var from: Timestamp?
        public var to: Timestamp?
    }

    public var scope = Scope()
    /// The log's end when the audit read it.
    public var logEnd: UInt64 = 0
    /// One per logged firing in scope, in log order.
    public var findings: [AlertAuditFinding] = []
    /// Firings the replay gives, with no event in the log, for ticks the engine has demonstrably passed.
    public var missing: [AlertEvaluator.Firing] = []
    /// Firings the replay gives for ticks after the last logged firing: the engine may not have got there yet.
    public var pending: [AlertEvaluator.Firing] = []
    /// Replay firings not matched yet (internal, before they are sorted into missing and pending).
    var unlogged: [AlertEvaluator.Firing] = []

    /// Every logged firing confirmed and none missing.
    public var isClean: Bool { findings.allSatisfy(\.isConfirmed) && missing.isEmpty }

    /// Counts by verdict name.
    public func count(_ name: String) -> Int { findings.filter { $0.verdict.name == name }.count }

    /// The findings a listing shows: all of them, or only those not confirmed.
    public func listed(includingConfirmed: Bool) -> [AlertAuditFinding] {
        includingConfirmed ? findings : findings.filter { !$0.isConfirmed }
    }

    /// The report as text: the scope, a block per firing, the missing ones, a summary and PASS or FAIL.
    public var text: String { text(includingConfirmed: true) }

    /// The report as text; without the confirmed firings' blocks when `includingConfirmed` is false
    /// (the summary still counts them), so a clean audit of a long log is a few lines.
    public func text(includingConfirmed: Bool) -> String {
        var out: [String] = []
        var scopeText: [String] = []
        if let ids = scope.alertIDs { scopeText.append((ids.count == 1 ? "alert " : "alerts ") + ids.sorted().map(String.init).joined(separator: ", ")) }
        if let n = scope.firing { scopeText.append("firing \(n)") }
        if let from = scope.from { scopeText.append("tick time from \(from.iso8601)") }
        if let to = scope.to { scopeText.append("before \(to.iso8601)") }
        out.append("Alert firing audit: replayed log offsets 0..<\(logEnd) through the alert rules")
        out.append("Scope: " + (scopeText.isEmpty ? "every firing" : scopeText.joined(separator: ", ")))
        out.append("")
        for finding in listed(includingConfirmed: includingConfirmed) {
            out.append(finding.text)
            out.append("")
        }
        for firing in missing {
            out.append("MISSING: the replay fires alert \(firing.alertID) (rule v\(firing.ruleVersion)) on the tick at offset \(firing.tick.offset) "
                       + "(\(AlertText.describe(firing.tick))), and the log has no event for it although the engine went past that tick")
        }
        for firing in pending {
            out.append("pending: the replay fires alert \(firing.alertID) on the tick at offset \(firing.tick.offset); not logged yet (the engine may be behind)")
        }
        if !missing.isEmpty || !pending.isEmpty { out.append("") }
        out.append("Summary: \(findings.count) logged firing(s) in scope: \(count("confirmed")) confirmed, \(count("mismatch")) mismatched, "
                   + "\(count("not_reproduced")) not reproduced, \(count("duplicate")) duplicate(s); \(missing.count) missing, \(pending.count) pending")
        out.append("Result: " + (isClean ? "PASS: every logged firing is what the rules give, and none is missing" : "FAIL"))
        return out.joined(separator: "\n") + "\n"
    }
}
