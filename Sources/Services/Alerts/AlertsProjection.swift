import EventLog
import Projections
import Synchronization

/// The alerts projection: every accepted version of every alert's rule (table `alert_versions`,
/// which `explain` and audits read) and every AlertTriggered event numbered per alert
/// (`alert_firings`), published as `AlertsSnapshot`s for the REST API.
///
/// Fold semantics (pinned by tests): changes are accepted exactly as `AlertEvaluator.accepts`
/// says, so the projection and the engine agree on every rule version; a firing is recorded
/// whatever the state of its alert (a deleted alert's firings stay auditable, and a firing for an
/// unknown alert is kept for the audit to flag). Duplicates are kept too: hiding one would hide a bug.
///
/// Threads: the fold state belongs to the thread running its `ProjectionRunner`; `snapshot` may be
/// read from any thread.
public final class AlertsProjection: Projection, @unchecked Sendable {
    public let name = "alerts"
    public let version = 1
    public let tables = ["alert_versions", "alert_firings"]

    // Fold state, runner thread only.
    private var alerts: [UInt64: AlertRecord] = [:]
    private var firings: [UInt64: [AlertFiring]] = [:]
    private var newVersions: [(alertID: UInt64, userID: UInt64, version: AlertVersion)] = []
    private var newFirings: [AlertFiring] = []

    private let published = Mutex(AlertsSnapshot(asOfOffset: 0, alerts: [:], firings: [:]))

    /// An empty projection; the runner loads it from SQLite before folding.
    public init() {}

    // MARK: Projection

    public func migrate(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS alert_versions(
                alert_id INTEGER NOT NULL,
                version INTEGER NOT NULL,
                user_id INTEGER NOT NULL,
                kind TEXT NOT NULL,
                offset INTEGER NOT NULL,
                time INTEGER NOT NULL,
                token INTEGER NOT NULL,
                condition TEXT NOT NULL,
                price REAL,
                pct REAL,
                window_s INTEGER,
                frequency TEXT NOT NULL,
                cooldown_s INTEGER NOT NULL,
                expires_at INTEGER,
                enabled INTEGER NOT NULL,
                PRIMARY KEY(alert_id, version)
            ) WITHOUT ROWID
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS alert_firings(
                alert_id INTEGER NOT NULL,
                n INTEGER NOT NULL,
                rule_version INTEGER NOT NULL,
                token INTEGER NOT NULL,
                tick_offset INTEGER NOT NULL,
                offset INTEGER NOT NULL,
                price REAL NOT NULL,
                tick_time INTEGER NOT NULL,
                PRIMARY KEY(alert_id, n)
            ) WITHOUT ROWID
            """)
    }

    public func load(from db: Database) throws {
        alerts = [:]
        firings = [:]
        newVersions = []
        newFirings = []
        let versions = try db.prepare("""
            SELECT alert_id, version, user_id, kind, offset, time, token, condition, price, pct, window_s, frequency,
                   cooldown_s, expires_at, enabled
            FROM alert_versions ORDER BY alert_id, version
            """)
        while try versions.step() {
            let id = UInt64(bitPattern: versions.int64(at: 0))
            let rule = AlertRule(
                token: UInt32(truncatingIfNeeded: versions.int64(at: 6)), condition: versions.string(at: 7) ?? "",
                price: versions.isNull(at: 8) ? nil : versions.double(at: 8),
                percent: versions.isNull(at: 9) ? nil : versions.double(at: 9),
                windowSeconds: versions.isNull(at: 10) ? nil : UInt32(truncatingIfNeeded: versions.int64(at: 10)),
                frequency: versions.string(at: 11) ?? "once", cooldownSeconds: UInt32(truncatingIfNeeded: versions.int64(at: 12)),
                expiresAt: versions.isNull(at: 13) ? nil : Timestamp(rawValue: versions.int64(at: 13)),
                isEnabled: versions.int64(at: 14) != 0)
            let version = AlertVersion(version: UInt32(truncatingIfNeeded: versions.int64(at: 1)),
                                       kind: AlertVersion.Kind(rawValue: versions.string(at: 3) ?? "") ?? .updated, rule: rule,
                                       offset: UInt64(bitPattern: versions.int64(at: 4)), time: Timestamp(rawValue: versions.int64(at: 5)))
            if alerts[id] == nil {
                alerts[id] = AlertRecord(alertID: id, userID: UInt64(bitPattern: versions.int64(at: 2)), history: [version])
            } else {
                alerts[id]!.history.append(version)
            }
        }
        let select = try db.prepare("""
            SELECT alert_id, n, rule_version, token, tick_offset, offset, price, tick_time FROM alert_firings ORDER BY alert_id, n
            """)
        while try select.step() {
            let firing = AlertFiring(alertID: UInt64(bitPattern: select.int64(at: 0)), n: UInt64(bitPattern: select.int64(at: 1)),
                                     ruleVersion: UInt32(truncatingIfNeeded: select.int64(at: 2)),
                                     token: UInt32(truncatingIfNeeded: select.int64(at: 3)),
                                     tickOffset: UInt64(bitPattern: select.int64(at: 4)), offset: UInt64(bitPattern: select.int64(at: 5)),
                                     price: select.double(at: 6), time: Timestamp(rawValue: select.int64(at: 7)))
            firings[firing.alertID, default: []].append(firing)
            alerts[firing.alertID]?.firingCount += 1
        }
    }

    public var consumedTypes: EventTypeMask? { EventTypeMask([.alertCreated, .alertUpdated, .alertDeleted, .alertTriggered]) }

    public func apply(_ entry: LogEntry) throws {
        switch entry.event {
        case .alertCreated(let change):
            record(change, kind: .created, event: entry.event, entry)
        case .alertUpdated(let change):
            record(change, kind: .updated, event: entry.event, entry)
        case .alertDeleted(let deleted):
            guard var alert = alerts[deleted.alertID], AlertEvaluator.accepts(entry.event, given: alert.lifecycle) else { return }
            let version = AlertVersion(version: max(deleted.version, alert.version), kind: .deleted, rule: alert.rule,
                                       offset: entry.offset, time: entry.time)
            alert.history.append(version)
            alerts[deleted.alertID] = alert
            newVersions.append((alert.alertID, alert.userID, version))
        case .alertTriggered(let triggered):
            var list = firings[triggered.alertID] ?? []
            let token = alerts[triggered.alertID].map { $0.version(triggered.ruleVersion)?.rule.token ?? $0.rule.token } ?? 0
            let firing = AlertFiring(alertID: triggered.alertID, n: UInt64(list.count + 1), ruleVersion: triggered.ruleVersion,
                                     token: token, tickOffset: triggered.tickOffset, offset: entry.offset,
                                     price: triggered.price, time: triggered.tickTime)
            list.append(firing)
            firings[triggered.alertID] = list
            alerts[triggered.alertID]?.firingCount += 1
            newFirings.append(firing)
        default:
            return
        }
    }

    private func record(_ change: AlertChange, kind: AlertVersion.Kind, event: Event, _ entry: LogEntry) {
        let state = alerts[change.alertID]?.lifecycle ?? .unknown
        guard AlertEvaluator.accepts(event, given: state) else { return }
        let version = AlertVersion(version: change.version, kind: kind, rule: change.rule, offset: entry.offset, time: entry.time)
        if var alert = alerts[change.alertID] {
            alert.history.append(version)
            alerts[change.alertID] = alert
            newVersions.append((alert.alertID, alert.userID, version))
        } else {
            alerts[change.alertID] = AlertRecord(alertID: change.alertID, userID: change.userID, history: [version])
            newVersions.append((change.alertID, change.userID, version))
        }
    }

    public func persist(to db: Database) throws {
        if !newVersions.isEmpty {
            let insert = try db.prepare("""
                INSERT OR REPLACE INTO alert_versions(alert_id, version, user_id, kind, offset, time, token, condition, price, pct,
                                                      window_s, frequency, cooldown_s, expires_at, enabled)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (alertID, userID, v) in newVersions {
                let r = v.rule
                try insert.run([.integer(Int64(bitPattern: alertID)), .integer(Int64(v.version)), .integer(Int64(bitPattern: userID)),
                                .text(v.kind.rawValue), .integer(Int64(bitPattern: v.offset)), .integer(v.time.rawValue),
                                .integer(Int64(r.token)), .text(r.condition), r.price.map { .real($0) } ?? .null,
                                r.percent.map { .real($0) } ?? .null, r.windowSeconds.map { .integer(Int64($0)) } ?? .null,
                                .text(r.frequency), .integer(Int64(r.cooldownSeconds)), r.expiresAt.map { .integer($0.rawValue) } ?? .null,
                                .integer(r.isEnabled ? 1 : 0)])
            }
        }
        if !newFirings.isEmpty {
            let insert = try db.prepare("""
                INSERT OR REPLACE INTO alert_firings(alert_id, n, rule_version, token, tick_offset, offset, price, tick_time)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for f in newFirings {
                try insert.run([.integer(Int64(bitPattern: f.alertID)), .integer(Int64(bitPattern: f.n)), .integer(Int64(f.ruleVersion)),
                                .integer(Int64(f.token)), .integer(Int64(bitPattern: f.tickOffset)), .integer(Int64(bitPattern: f.offset)),
                                .real(f.price), .integer(f.time.rawValue)])
            }
        }
        newVersions = []
        newFirings = []
    }

    public func publish(through offset: UInt64) {
        let snapshot = AlertsSnapshot(asOfOffset: offset, alerts: alerts, firings: firings)
        published.withLock { $0 = snapshot }
    }

    public func contentHash() -> String {
        var w = ByteWriter(capacity: 256)
        for alert in alerts.values.sorted(by: { $0.alertID < $1.alertID }) {
            w.write(1)
            w.writeVarint(alert.alertID)
            w.writeVarint(alert.userID)
            for v in alert.history {
                w.writeVarint(UInt64(v.version))
                w.writeString(v.kind.rawValue)
                w.writeVarint(v.offset)
                w.writeSignedVarint(v.time.rawValue)
                // The rule's canonical bytes are its log encoding.
                let record = Record(time: v.time, event: .alertCreated(AlertChange(alertID: alert.alertID, userID: alert.userID,
                                                                                   version: v.version, rule: v.rule)))
                var previous = Timestamp.zero
                RecordCodec.encode(record, previousTime: &previous, into: &w)
            }
        }
        for id in firings.keys.sorted() {
            for f in firings[id]! {
                w.write(2)
                w.writeVarint(f.alertID)
                w.writeVarint(f.n)
                w.writeVarint(UInt64(f.ruleVersion))
                w.writeVarint(UInt64(f.token))
                w.writeVarint(f.tickOffset)
                w.writeVarint(f.offset)
                w.writeDouble(f.price)
                w.writeSignedVarint(f.time.rawValue)
            }
        }
        var hash = FNV1a64()
        hash.combine(w.bytes)
        return hash.hexDigest
    }

    // MARK: queries (any thread)

    /// The latest published snapshot.
    public var snapshot: AlertsSnapshot { published.withLock { $0 } }
}
