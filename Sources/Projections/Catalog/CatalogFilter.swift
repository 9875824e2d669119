import EventLog

/// What a catalog page selects. Every field narrows the match; nil fields do not filter.
public struct CatalogFilter: Hashable, Sendable {
    /// Which lifecycle states match.
    public enum Activity: String, Hashable, Sendable, CaseIterable {
        case active, delisted, any
    }

    /// Exact exchange (`NSE`, `NFO`), case-sensitive as in the instrument master.
    public var exchange: String?
    /// Exact segment (`NFO-OPT`, `INDICES`).
    public var segment: String?
    /// Exact instrument type (`EQ`, `FUT`, `CE`, `PE`).
    public var instrumentType: String?
    /// Case-insensitive substring of the trading symbol or the name (a prefix is a substring).
    public var query: String?
    public var activity: Activity
    /// Inclusive expiry bounds; instruments without an expiry never match a bounded filter.
    public var expiryFrom: CalendarDay?
    public var expiryTo: CalendarDay?

    public init(exchange: String? = nil, segment: String? = nil, instrumentType: String? = nil, query: String? = nil,
                activity: Activity = .active, expiryFrom: CalendarDay? = nil, expiryTo: CalendarDay? = nil) {
        self.exchange = exchange
        self.segment = segment
        self.instrumentType = instrumentType
        self.query = query
        self.activity = activity
        self.expiryFrom = expiryFrom
        self.expiryTo = expiryTo
    }

    /// Whether `record` matches: the definition the indexes must agree with (and tests recount with).
    public func matches(_ record: InstrumentRecord) -> Bool {
        let i = record.instrument
        switch activity {
        case .active: if !record.isActive { return false }
        case .delisted: if record.isActive { return false }
        case .any: break
        }
        if let exchange, i.exchange != exchange { return false }
        if let segment, i.segment != segment { return false }
        if let instrumentType, i.instrumentType != instrumentType { return false }
        if expiryFrom != nil || expiryTo != nil {
            guard let expiry = i.expiry else { return false }
            if let expiryFrom, expiry < expiryFrom { return false }
            if let expiryTo, expiry > expiryTo { return false }
        }
        if let query, !query.isEmpty {
            let needle = Array(query.lowercased().utf8)
            return TextIndex.contains(Array(i.tradingSymbol.lowercased().utf8), needle)
                || TextIndex.contains(Array(i.name.lowercased().utf8), needle)
        }
        return true
    }
}
