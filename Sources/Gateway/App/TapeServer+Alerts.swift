import EventLog
import Foundation
import Projections
import Services

/// Alert ids and versions that commands handed out and the alerts projection may not have folded yet.
struct IssuedAlerts: Sendable {
    var lastID: UInt64 = 0
    var versions: [UInt64: UInt32] = [:]
}

/// `/alerts`: create, read, change and delete price alerts, list their firings and explain one.
///
/// Commands run on `commands` (which hands out ids and versions one at a time) and answer once the
/// alerts projection has folded them; reads answer from its snapshot; `explain` replays the log on a
/// global queue, never on a loop. Another user's alert answers 404, exactly like one that does not
/// exist, so ids do not leak; the admin key and admin users see every alert.
extension TapeServer {
    func registerAlertRoutes(on router: inout Router) {
        router.on(.post, "/alerts", deferred: { [unowned self] request, _, reply in
            self.command(reply) { () throws(HTTPError) -> HTTPResponse in
                let caller = try self.caller(of: request)
                let body = try JSONBody(request)
                try body.rejectUnknown(Self.alertFields.union(["user_id"]))
                let owner = try self.owner(for: caller, requested: body.whole("user_id", in: 1...UInt64(Int64.max)))
                guard body.has("token"), body.has("condition") else {
                    throw HTTPError.invalidParameter(body.has("token") ? "condition" : "token", "token and condition are required")
                }
                let rule = try self.rule(from: body, base: AlertRule(token: 0, condition: ""))
                let id = self.issuedAlerts.withLock { issued in
                    issued.lastID = max(issued.lastID, self.alerts.snapshot.nextAlertID - 1) + 1
                    issued.versions[issued.lastID] = 1
                    return issued.lastID
                }
                let change = AlertChange(alertID: id, userID: owner, version: 1, rule: rule)
                let (offset, time) = try self.appendAlertEvent(.alertCreated(change))
                let record = AlertRecord(alertID: id, userID: owner,
                                         history: [AlertVersion(version: 1, kind: .created, rule: rule, offset: offset, time: time)])
                return Self.json(status: .created) { Self.writeAlert(record, to: &$0) }
            }
        })
        router.get("/alerts") { [unowned self] request, _ in
            let caller = try self.caller(of: request)
            var userID = caller.isAdmin ? nil : caller.userID
            if caller.isAdmin, let text = request.queryValue("user_id") {
                guard let id = UInt64(text) else { throw HTTPError.invalidParameter("user_id", "user_id must be a whole number") }
                userID = id
            }
            let items = self.alerts.snapshot.liveAlerts(of: userID)
            return Self.json(status: .ok) { j in
                j.key("items"); j.beginArray()
                for record in items { j.beginObject(); Self.writeAlert(record, to: &j); j.endObject() }
                j.endArray()
                j.key("total"); j.value(items.count)
            }
        }
        router.get("/alerts/{id}") { [unowned self] request, context in
            let record = try self.visibleAlert(context, caller: try self.caller(of: request))
            return Self.json(status: .ok) { Self.writeAlert(record, to: &$0) }
        }
        router.on(.patch, "/alerts/{id}", deferred: { [unowned self] request, context, reply in
            self.command(reply) { () throws(HTTPError) -> HTTPResponse in
                let record = try self.visibleAlert(context, caller: try self.caller(of: request))
                let body = try JSONBody(request)
                try body.rejectUnknown(Self.alertFields)
                // A bad body is a 400 or 422 whatever the alert's state: checked against its last rule, before the 410.
                let rule = try self.rule(from: body, base: record.rule)
                try Self.requireNotDeleted(record)
                let version = self.nextVersion(of: record)
                let (offset, time) = try self.appendAlertEvent(.alertUpdated(AlertChange(alertID: record.alertID, userID: record.userID,
                                                                                         version: version, rule: rule)))
                var updated = record
                updated.history.append(AlertVersion(version: version, kind: .updated, rule: rule, offset: offset, time: time))
                return Self.json(status: .ok) { Self.writeAlert(updated, to: &$0) }
            }
        })
        router.on(.delete, "/alerts/{id}", deferred: { [unowned self] request, context, reply in
            self.command(reply) { () throws(HTTPError) -> HTTPResponse in
                let record = try self.visibleAlert(context, caller: try self.caller(of: request))
                try Self.requireNotDeleted(record)
                let version = self.nextVersion(of: record)
                let (offset, time) = try self.appendAlertEvent(.alertDeleted(AlertDeleted(alertID: record.alertID, version: version)))
                var deleted = record
                deleted.history.append(AlertVersion(version: version, kind: .deleted, rule: record.rule, offset: offset, time: time))
                return Self.json(status: .ok) { Self.writeAlert(deleted, to: &$0) }
            }
        })
        router.get("/alerts/{id}/firings") { [unowned self] request, context in
            let record = try self.visibleAlert(context, caller: try self.caller(of: request))
            let firings = self.alerts.snapshot.firings(of: record.alertID)
            return Self.json(status: .ok) { j in
                j.key("alert_id"); j.value(record.alertID)
                j.key("items"); j.beginArray()
                for firing in firings { firing.writeJSON(to: &j) }
                j.endArray()
                j.key("total"); j.value(firings.count)
            }
        }
        router.on(.get, "/alerts/{id}/firings/{n}/explain", deferred: { [unowned self] request, context, reply in
            // Replaying the log takes a while on a long one: never on a loop, and not in the way of commands.
            DispatchQueue.global().async {
                do throws(HTTPError) {
                    let record = try self.visibleAlert(context, caller: try self.caller(of: request))
                    guard let n = context.parameter("n").flatMap(UInt64.init), n >= 1 else {
                        throw HTTPError.invalidParameter("n", "the firing number must be a whole number from 1")
                    }
                    let firings = self.alerts.snapshot.firings(of: record.alertID)
                    guard n <= UInt64(firings.count) else {
                        throw HTTPError(.notFound, code: "not_found", message: "alert \(record.alertID) has \(firings.count) firing(s); there is no firing \(n)")
                    }
                    let finding: AlertAuditFinding
                    do {
                        finding = try AlertAudit.explain(try self.log.makeReader(), firing: firings[Int(n - 1)],
                                                         earlier: Array(firings[..<Int(n - 1)]))
                    } catch {
                        throw HTTPError(.internalServerError, code: "replay_failed", message: "replaying the log failed: \(error)")
                    }
                    var j = JSONText()
                    finding.writeJSON(to: &j)
                    reply.send(.json(j.bytes))
                } catch {
                    reply.send(error)
                }
            }
        })
    }

    /// The rule fields `POST` and `PATCH` accept.
    static let alertFields: Set<String> = ["token", "condition", "price", "pct", "direction", "window", "frequency", "cooldown_s",
                                           "expires_at", "enabled"]

    // MARK: access

    /// The alert named by the path, if the caller may see it; 404 alike for missing and foreign ones.
    private func visibleAlert(_ context: RequestContext, caller: Caller) throws(HTTPError) -> AlertRecord {
        guard let id = context.parameter("id").flatMap(UInt64.init) else {
            throw HTTPError.invalidParameter("id", "the alert id must be a whole number")
        }
        guard let record = alerts.snapshot.alert(id: id), caller.isAdmin || record.userID == caller.userID else {
            throw HTTPError(.notFound, code: "not_found", message: "no alert \(id)")
        }
        return record
    }

    /// A deleted alert cannot change any more: 410.
    private static func requireNotDeleted(_ record: AlertRecord) throws(HTTPError) {
        guard !record.isDeleted else {
            throw HTTPError(HTTPStatus(rawValue: 410), code: "deleted", message: "alert \(record.alertID) was deleted at offset \(record.current.offset)")
        }
    }

    /// Whose alert a POST creates: the caller's, or with `user_id` (admins only) that user's.
    private func owner(for caller: Caller, requested: UInt64?) throws(HTTPError) -> UInt64 {
        if let requested, requested != caller.userID {
            guard caller.isAdmin else { throw Self.forbidden("only the admin creates alerts for another user") }
            let exists = users.snapshot.user(id: requested) != nil || ids.withLock { $0.createdUsers.contains(requested) }
            guard exists else { throw HTTPError.unprocessable("user_id", code: "unknown_user", "no user \(requested)") }
            return requested
        }
        guard let userID = caller.userID else {
            // The body is well-formed; it is the key (the admin key, owned by no user) that needs user_id beside it.
            throw HTTPError.unprocessable("user_id", code: "user_required", "user_id is required with the admin key: alerts belong to a user")
        }
        return userID
    }

    /// The version after the latest one handed out for this alert.
    private func nextVersion(of record: AlertRecord) -> UInt32 {
        issuedAlerts.withLock { issued in
            let next = max(record.version, issued.versions[record.alertID] ?? 0) + 1
            issued.versions[record.alertID] = next
            return next
        }
    }

    /// Appends one alert event durably and waits (bounded) until the alerts projection folded it.
    private func appendAlertEvent(_ event: Event) throws(HTTPError) -> (offset: UInt64, time: Timestamp) {
        let time = Timestamp.now()
        let offset = try append([event], at: time, foldedBy: alertsRunner)
        return (offset, time)
    }

    // MARK: rules

    /// `base` with the body's fields applied, checked as a whole (every problem named at once).
    private func rule(from body: JSONBody, base: AlertRule) throws(HTTPError) -> AlertRule {
        var rule = base
        if let token = try body.whole("token", in: 0...UInt64(UInt32.max)) { rule.token = UInt32(token) }
        // A new rule, or a new token, must name a listed instrument; an existing rule keeps its own.
        if base.condition.isEmpty || rule.token != base.token, catalog.instrument(token: rule.token)?.isActive != true {
            throw HTTPError.unprocessable("token", code: "unknown_instrument", "no listed instrument has token \(rule.token)")
        }
        if let condition = try body.text("condition") {
            rule.condition = condition
            // A new condition drops the fields of the old one unless the body gives them again.
            if condition != base.condition {
                rule.price = nil
                rule.percent = nil
                rule.windowSeconds = nil
            }
        }
        if body.has("price") { rule.price = try body.number("price") }
        if body.has("pct") { rule.percent = try body.number("pct") }
        if let direction = try body.text("direction") {
            guard direction == "up" || direction == "down" else { throw HTTPError.invalidParameter("direction", "direction must be up or down") }
            rule.percent = rule.percent.map { direction == "up" ? abs($0) : -abs($0) }
        }
        if body.has("window") { rule.windowSeconds = try Self.window(body) }
        if let frequency = try body.text("frequency") { rule.frequency = frequency }
        if let cooldown = try body.whole("cooldown_s", in: 0...UInt64(UInt32.max)) { rule.cooldownSeconds = UInt32(cooldown) }
        if body.has("expires_at") { rule.expiresAt = try Self.expiry(body) }
        if let enabled = try body.bool("enabled") { rule.isEnabled = enabled }
        // Each field parsed; what is left is the rule as a whole (a field its condition needs or forbids, a range,
        // an expiry already past), which the document cannot describe field by field: 422, not 400.
        let problems = rule.problems(now: Timestamp.now())
        if let first = problems.first {
            throw HTTPError.unprocessable(first.field, code: "invalid_rule", problems.map(\.message).joined(separator: "; "))
        }
        return rule
    }

    /// `window`: seconds as a number, or `30s`, `5m`, `1h`, `1d`; null clears it.
    private static func window(_ body: JSONBody) throws(HTTPError) -> UInt32? {
        if body.isNull("window") { return nil }
        let invalid = HTTPError.invalidParameter("window", "window must be seconds or a duration such as 30s, 5m, 1h or 1d")
        var seconds: Double
        if let text = try? body.text("window") {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
            guard let unit = text.last.flatMap({ units[$0] }), let count = Double(text.dropLast()) else { throw invalid }
            seconds = count * unit
        } else if let number = try? body.number("window") {
            seconds = number
        } else {
            throw invalid
        }
        guard seconds >= 1, seconds <= Double(UInt32.max), seconds == seconds.rounded() else { throw invalid }
        return UInt32(seconds)
    }

    /// `expires_at`: Unix seconds, or an ISO 8601 date or UTC time; null clears it.
    private static func expiry(_ body: JSONBody) throws(HTTPError) -> Timestamp? {
        if body.isNull("expires_at") { return nil }
        if let seconds = try? body.number("expires_at") { return Timestamp(seconds: seconds) }
        if let text = try? body.text("expires_at"), let time = Timestamp(iso8601: text) { return time }
        throw HTTPError.invalidParameter("expires_at", "expires_at must be Unix seconds or an ISO 8601 time such as 2026-11-27T15:30:00Z")
    }

    // MARK: JSON

    /// An alert's fields (inside an object the caller opened).
    static func writeAlert(_ record: AlertRecord, to j: inout JSONText) {
        j.key("id"); j.value(record.alertID)
        j.key("user_id"); j.value(record.userID)
        j.key("version"); j.value(record.version)
        AlertAuditFinding.writeRuleFields(record.rule, to: &j)
        j.key("deleted"); j.value(record.isDeleted)
        j.key("created_at"); j.seconds(record.createdAt)
        j.key("updated_at"); j.seconds(record.updatedAt)
        j.key("offset"); j.value(record.current.offset)
        j.key("firings"); j.value(record.firingCount)
    }
}
