import EventLog

/// An immutable view of alerts and their firings as of one log offset; safe to read from any thread.
public struct AlertsSnapshot: Sendable {
    /// The next log offset the projection would apply: this view contains everything before it.
    public let asOfOffset: UInt64
    private let alerts: [UInt64: AlertRecord]
    private let firings: [UInt64: [AlertFiring]]

    /// A view over the given records (the projection builds these; tests may too).
    public init(asOfOffset: UInt64, alerts: [UInt64: AlertRecord], firings: [UInt64: [AlertFiring]]) {
        self.asOfOffset = asOfOffset
        self.alerts = alerts
        self.firings = firings
    }

    /// The alert with `id`, deleted or not.
    public func alert(id: UInt64) -> AlertRecord? { alerts[id] }

    /// Alerts that are not deleted, of one user or (nil) of everyone, by id.
    public func liveAlerts(of userID: UInt64?) -> [AlertRecord] {
        alerts.values.filter { !$0.isDeleted && (userID == nil || $0.userID == userID) }.sorted { $0.alertID < $1.alertID }
    }

    /// An alert's firings in log order (n = 1, 2, …).
    public func firings(of alertID: UInt64) -> [AlertFiring] { firings[alertID] ?? [] }

    /// The id a new alert should get: one more than the largest so far (ids start at 1).
    public var nextAlertID: UInt64 { (alerts.keys.max() ?? 0) + 1 }
}
