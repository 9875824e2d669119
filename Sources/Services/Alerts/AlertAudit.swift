import EventLog

/// Replays the log through a fresh `AlertEvaluator` to check logged firings against what the rules
/// give, and to explain each one: the rule as it was at the firing's version, the triggering tick,
/// the tick before it, and a verdict.
///
/// Reads only the log (any `LogSource`), never a projection, so an audit is independent of the
/// state it checks. Stateless; each call owns what it builds.
public enum AlertAudit {
    /// Audits every logged firing in scope: alerts (nil: all), one firing number, tick times in
    /// `from..<to`. Also lists firings the replay gives that the log lacks.
    public static func audit(_ source: any LogSource, alertIDs: Set<UInt64>? = nil, firing n: UInt64? = nil,
                             from: Timestamp? = nil, to: Timestamp? = nil) throws -> AlertAuditReport {
        let end = try source.endOffset()
        var counts: [UInt64: UInt64] = [:]
        var logged: [(AlertFiring, AlertTriggered)] = []
        var lastLoggedTick: UInt64?
        try forEachEntry(in: source, upTo: end) { entry in
            guard case .alertTriggered(let t) = entry.event else { return }
            lastLoggedTick = max(lastLoggedTick ?? 0, t.tickOffset)
            counts[t.alertID, default: 0] += 1
            let number = counts[t.alertID]!
            guard alertIDs?.contains(t.alertID) ?? true, n.map({ $0 == number }) ?? true,
                  Self.contains(t.tickTime, from: from, to: to) else { return }
            logged.append((AlertFiring(alertID: t.alertID, n: number, ruleVersion: t.ruleVersion, token: 0, tickOffset: t.tickOffset,
                                       offset: entry.offset, price: t.price, time: t.tickTime), t))
        }
        // One firing asked for: replay only as far as its tick, and do not look for missing ones.
        let through = n == nil ? end : (logged.map(\.0.tickOffset).max().map { $0 + 1 } ?? 0)
        var report = try replay(source, logged: logged.map(\.0), alertIDs: alertIDs, from: from, to: to, through: through,
                                listsMissing: n == nil)
        report.logEnd = end
        report.scope = AlertAuditReport.Scope(alertIDs: alertIDs, firing: n, from: from, to: to)
        if n == nil {
            // The engine appends in tick order: a logged firing for a later tick shows it got past this one.
            for firing in report.unlogged {
                if let last = lastLoggedTick, firing.tick.offset < last { report.missing.append(firing) } else { report.pending.append(firing) }
            }
            report.unlogged = []
        }
        return report
    }

    /// Explains one firing the alerts projection knows (its number and offset are the log's), replaying
    /// only up to its tick. `earlier` are the alert's firings before it, so that a repeat is flagged.
    public static func explain(_ source: any LogSource, firing: AlertFiring, earlier: [AlertFiring] = []) throws -> AlertAuditFinding {
        let report = try replay(source, logged: [firing], alertIDs: [firing.alertID], from: nil, to: nil,
                                through: firing.tickOffset + 1, listsMissing: false)
        var finding = report.findings[0]
        if let first = earlier.first(where: { $0.tickOffset == firing.tickOffset && $0.offset < firing.offset }) {
            finding.verdict = .duplicate(ofOffset: first.offset)
        }
        return finding
    }

    // MARK: replay

    private static func contains(_ time: Timestamp, from: Timestamp?, to: Timestamp?) -> Bool {
        (from.map { time >= $0 } ?? true) && (to.map { time < $0 } ?? true)
    }

    private struct Key: Hashable {
        var alertID: UInt64
        var tickOffset: UInt64
    }

    /// What the replay saw at a tick a logged firing names.
    private struct TickContext {
        var point: PricePoint
        var token: UInt32
        var previous: PricePoint?
        var firings: [AlertEvaluator.Firing]
        /// The rules of the alerts whose logged firings name this tick, as they stood after it.
        var rules: [UInt64: (version: UInt32, rule: AlertRule, userID: UInt64)]
    }

    /// Replays `0..<through` and matches `logged` (in log order) against the replay's firings.
    private static func replay(_ source: any LogSource, logged: [AlertFiring], alertIDs: Set<UInt64>?, from: Timestamp?,
                               to: Timestamp?, through: UInt64, listsMissing: Bool) throws -> AlertAuditReport {
        var targets: [UInt64: Set<UInt64>] = [:]
        for firing in logged { targets[firing.tickOffset, default: []].insert(firing.alertID) }
        var evaluator = AlertEvaluator(only: alertIDs)
        var contexts: [UInt64: TickContext] = [:]
        var expected: [Key: AlertEvaluator.Firing] = [:]
        var unloggedOrder: [Key] = []
        var versions: [UInt64: [AlertVersion]] = [:]
        var owners: [UInt64: UInt64] = [:]
        try forEachEntry(in: source, upTo: through) { entry in
            switch entry.event {
            case .tick(let tick):
                let previous = evaluator.lastTick(of: tick.token)
                let firings = evaluator.apply(entry)
                if let alerts = targets[entry.offset] {
                    var rules: [UInt64: (version: UInt32, rule: AlertRule, userID: UInt64)] = [:]
                    for id in alerts { rules[id] = evaluator.rule(of: id) }
                    contexts[entry.offset] = TickContext(point: PricePoint(tick, offset: entry.offset, time: entry.time),
                                                         token: tick.token, previous: previous, firings: firings, rules: rules)
                }
                guard listsMissing else { return }
                for firing in firings where Self.contains(firing.tick.time, from: from, to: to) {
                    let key = Key(alertID: firing.alertID, tickOffset: firing.tick.offset)
                    expected[key] = firing
                    unloggedOrder.append(key)
                }
            case .alertCreated(let change), .alertUpdated(let change):
                let before = evaluator.rule(of: change.alertID)?.version
                _ = evaluator.apply(entry)
                // Record the version only if the evaluator took it: the two never disagree on rules.
                if let now = evaluator.rule(of: change.alertID), now.version != before {
                    let kind: AlertVersion.Kind = before == nil ? .created : .updated
                    versions[change.alertID, default: []].append(
                        AlertVersion(version: now.version, kind: kind, rule: now.rule, offset: entry.offset, time: entry.time))
                    owners[change.alertID] = now.userID
                }
            case .alertDeleted(let deleted):
                if let last = evaluator.rule(of: deleted.alertID) {
                    versions[deleted.alertID, default: []].append(
                        AlertVersion(version: max(deleted.version, last.version), kind: .deleted, rule: last.rule,
                                     offset: entry.offset, time: entry.time))
                }
                _ = evaluator.apply(entry)
            default:
                break
            }
        }

        var report = AlertAuditReport()
        var seen: [Key: UInt64] = [:]
        for firing in logged {
            let key = Key(alertID: firing.alertID, tickOffset: firing.tickOffset)
            let context = contexts[firing.tickOffset]
            let version = versions[firing.alertID]?.last { $0.version == firing.ruleVersion && $0.kind != .deleted }
            let replayed = context?.firings.first { $0.alertID == firing.alertID }
            var logged = firing
            logged.token = version?.rule.token ?? context?.token ?? 0
            var finding = AlertAuditFinding(logged: logged, userID: owners[firing.alertID], rule: version, tick: context?.point,
                                            tickToken: context?.token, previous: context?.previous, replayed: replayed,
                                            verdict: .confirmed)
            if let first = seen[key] {
                finding.verdict = .duplicate(ofOffset: first)
            } else if let replayed {
                finding.verdict = Self.compare(firing, with: replayed)
            } else {
                finding.verdict = .notReproduced(Self.whyNot(firing, context: context))
            }
            seen[key] = seen[key] ?? firing.offset
            expected[key] = nil
            report.findings.append(finding)
        }
        report.unlogged = unloggedOrder.compactMap { expected[$0] }
        return report
    }

    private static func compare(_ logged: AlertFiring, with replayed: AlertEvaluator.Firing) -> AlertAuditFinding.Verdict {
        var differences: [String] = []
        if replayed.ruleVersion != logged.ruleVersion { differences.append("rule v\(replayed.ruleVersion), not v\(logged.ruleVersion)") }
        if replayed.tick.price != logged.price { differences.append("price \(AlertText.price(replayed.tick.price)), not \(AlertText.price(logged.price))") }
        if replayed.tick.time != logged.time { differences.append("time \(replayed.tick.time.iso8601), not \(logged.time.iso8601)") }
        return differences.isEmpty ? .confirmed : .mismatch("the replay fires on this tick with " + differences.joined(separator: ", "))
    }

    /// Why the replay gives no firing for `logged` on its tick, as precisely as the state tells.
    private static func whyNot(_ logged: AlertFiring, context: TickContext?) -> String {
        guard let context else { return "the log holds no tick at offset \(logged.tickOffset)" }
        guard let (version, rule, _) = context.rules[logged.alertID] else {
            return "alert \(logged.alertID) was not live at offset \(logged.tickOffset) (not yet created, or deleted)"
        }
        if version != logged.ruleVersion { return "at offset \(logged.tickOffset) the alert was at rule v\(version), not v\(logged.ruleVersion)" }
        if rule.token != context.token { return "the tick is for token \(context.token) but rule v\(version) watches token \(rule.token)" }
        if !rule.isEnabled { return "rule v\(version) was disabled" }
        if let expiry = rule.expiresAt, context.point.time >= expiry { return "the tick is at or after the rule's expiry, \(expiry.iso8601)" }
        if let level = rule.price, let condition = rule.parsedCondition, condition.usesLevel,
           !AlertText.levelConditionHolds(condition, level: level, price: context.point.price, previous: context.previous?.price) {
            return "the condition does not hold: " + AlertText.levelReason(condition, level: level, tick: context.point, previous: context.previous)
        }
        return "the rule's state at that tick (once already fired, cooldown, or the pct_change window) allows no firing"
    }

    /// Calls `body` for each entry in `0..<end`, in order, reading in chunks.
    private static func forEachEntry(in source: any LogSource, upTo end: UInt64, _ body: (LogEntry) throws -> Void) throws {
        var next: UInt64 = 0
        while next < end {
            let entries = try source.read(from: next, limit: Int(min(8192, end - next)))
            guard let last = entries.last else { break }
            for entry in entries { try body(entry) }
            next = last.offset + 1
        }
    }
}
