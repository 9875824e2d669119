import EventLog
import Projections

/// `/ws/v2` (JSON) and the session bookkeeping around the streaming hub.
extension TapeServer {
    func registerStreaming(on router: inout Router) {
        // A missing or wrong key is refused in the handshake with 401, before any upgrade.
        let auth = AuthMiddleware { [unowned self] request throws(HTTPError) in try self.authenticate(request) }
        // Sessions may subscribe to instruments the catalog lists as active.
        let catalog = self.catalog
        let isListed: @Sendable (UInt32) -> Bool = { token in catalog.instrument(token: token)?.isActive ?? false }
        let log = self.log, alerts = self.alerts
        let replaySources = ReplaySources(
            makeReader: { try log.makeReader() },
            alertRules: { userID in
                alerts.snapshot.liveAlerts(of: userID).map { AlertChange(alertID: $0.alertID, userID: $0.userID, version: $0.version, rule: $0.rule) }
            },
            hub: hub)
        router.webSocket("/ws/v2", middleware: [auth]) { [unowned self] _, context in
            V2SessionHandler(hub: self.hub, userID: Self.userID(of: context), isKnownToken: isListed, replaySources: replaySources)
        }
        // KiteTicker clients put a Tape key in `access_token` (`api_key` is Kite's app id, ignored).
        let kiteAuth = AuthMiddleware { [unowned self] request throws(HTTPError) in
            try self.principalLabel(of: self.caller(key: request.queryValue("access_token")))
        }
        router.webSocket("/ws/kite", middleware: [kiteAuth]) { [unowned self] _, context in
            KiteSessionHandler(hub: self.hub, userID: Self.userID(of: context), isKnownToken: isListed)
        }
    }

    /// The user id `authenticate` put in the context (`user:<id>`); nil for the admin key.
    static func userID(of context: RequestContext) -> UInt64? {
        guard let principal = context.principal, principal.hasPrefix("user:") else { return nil }
        return UInt64(principal.dropFirst(5))
    }

    /// WebSocket session gauges and counters for `/metrics`: totals, and per open session the
    /// ticks delivered, conflated (replaced before they could be sent) and dropped.
    func streamingMetrics() -> [(name: String, help: String, type: String, samples: [(labels: String, value: Double)])] {
        let totals = hub.totals
        let sessions = hub.sessionStatistics()
        func perSession(_ value: (StreamHub.SessionStatistics) -> UInt64) -> [(labels: String, value: Double)] {
            sessions.map { ("session=\"\($0.sessionID)\",protocol=\"\($0.protocolName)\"", Double(value($0))) }
        }
        return [
            ("tape_ws_sessions", "Open WebSocket streaming sessions.", "gauge", [("", Double(sessions.count))]),
            ("tape_ws_sessions_opened_total", "Streaming sessions opened since start.", "counter", [("", Double(totals.opened))]),
            ("tape_ws_sessions_closed_slow_total", "Sessions closed with 1008 for not keeping up.", "counter", [("", Double(totals.closedSlow))]),
            ("tape_ws_ticks_delivered_total", "Ticks handed to sessions' outgoing queues.", "counter", [("", Double(totals.delivered))]),
            ("tape_ws_ticks_conflated_total", "Ticks replaced by a newer tick of the same token before a slow session could take them.", "counter", [("", Double(totals.conflated))]),
            ("tape_ws_ticks_dropped_total", "Ticks discarded when a slow session was closed.", "counter", [("", Double(totals.dropped))]),
            ("tape_ws_replays", "/ws/v2 sessions replaying history now.", "gauge", [("", Double(hub.replayCount))]),
            ("tape_ws_replays_started_total", "/ws/v2 replays started since start.", "counter", [("", Double(totals.replays))]),
            ("tape_ws_session_events_lost_total", "Appends of session events the log refused.", "counter", [("", Double(journal.failedAppends))]),
            ("tape_ws_session_ticks_delivered_total", "Ticks delivered, per open session.", "counter", perSession(\.delivered)),
            ("tape_ws_session_ticks_conflated_total", "Ticks conflated, per open session.", "counter", perSession(\.conflated)),
            ("tape_ws_session_ticks_dropped_total", "Ticks dropped, per open session.", "counter", perSession(\.dropped)),
        ]
    }

    /// Pushes each alert firing to its owner's `/ws/v2` sessions as
    /// `{"type":"alert","alert_id","token","n","tick_offset","offset","price","time","rule_version"}`.
    func pushAlertFirings() {
        let hub = self.hub
        alertEngine.onFiring = { firing, userID in
            hub.push(V2Encoding.alertMessage(firing), toUser: userID, protocolName: "v2")
        }
    }

    /// Sessions the log still shows open belonged to a previous run: close them in the log.
    func closeOrphanedSessions() {
        let orphans = sessions.snapshot.sessions.keys.sorted()
        guard !orphans.isEmpty else { return }
        for id in orphans { journal.submit(.sessionClosed(SessionClosed(sessionID: id, reason: "server restarted"))) }
        journal.flush()
    }
}

extension TapeServer {
    /// The marks `/udf/marks` draws on an instrument's bars in `[from, to)` seconds: the
    /// user's alert firings and every model's signals (filled in as those land).
    func chartMarks(token: UInt32, from: Int64, to: Int64, userID: UInt64?) -> [UDFMark] {
        var marks: [UDFMark] = []
        if let userID {
            let snapshot = alerts.snapshot
            for alert in snapshot.liveAlerts(of: userID) {
                for firing in snapshot.firings(of: alert.alertID) where firing.token == token {
                    let seconds = firing.time.rawValue / 1_000_000_000
                    guard seconds >= from, seconds < to else { continue }
                    marks.append(UDFMark(id: "alert-\(alert.alertID)-\(firing.n)", time: seconds, color: "#f5a623",
                                         text: "Alert \(alert.alertID) (\(alert.rule.condition)) fired at \(firing.price), tick offset \(firing.tickOffset)",
                                         label: "A"))
                }
            }
        }
        let fromTime = Timestamp(nanoseconds: max(0, from) * 1_000_000_000)
        let toTime = Timestamp(nanoseconds: min(to, Int64(QueryParameters.maxSeconds)) * 1_000_000_000)
        for signal in signals.signals(token: token, from: fromTime, to: toTime, limit: 1_000) {
            let detail = [signal.label, signal.confidence.map { "confidence \($0)" }].compactMap { $0 }.joined(separator: ", ")
            marks.append(UDFMark(id: "signal-\(signal.offset)", time: signal.time.rawValue / 1_000_000_000,
                                 color: signal.value >= 0 ? "#26a69a" : "#ef5350",
                                 text: "\(signal.model): \(signal.value)" + (detail.isEmpty ? "" : " (\(detail))"), label: "S"))
        }
        return marks.sorted { ($0.time, $0.id) < ($1.time, $1.id) }
    }
}
