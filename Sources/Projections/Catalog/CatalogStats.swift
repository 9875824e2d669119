import EventLog

/// Counts over the active instruments of one snapshot.
public struct CatalogStats: Hashable, Sendable {
    public var asOfOffset: UInt64
    public var totalActive: Int
    public var byExchange: [String: Int]
    public var bySegment: [String: Int]
    public var byInstrumentType: [String: Int]
    /// The day the caller called today (the projection reads no clock).
    public var today: CalendarDay
    public var expiringToday: Int
    /// Expiring from `today` through the Sunday that ends its ISO week (Monday–Sunday).
    public var expiringThisWeek: Int

    public init(asOfOffset: UInt64, totalActive: Int, byExchange: [String: Int], bySegment: [String: Int],
                byInstrumentType: [String: Int], today: CalendarDay, expiringToday: Int, expiringThisWeek: Int) {
        self.asOfOffset = asOfOffset
        self.totalActive = totalActive
        self.byExchange = byExchange
        self.bySegment = bySegment
        self.byInstrumentType = byInstrumentType
        self.today = today
        self.expiringToday = expiringToday
        self.expiringThisWeek = expiringThisWeek
    }
}
