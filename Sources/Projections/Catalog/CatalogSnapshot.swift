import EventLog

/// The catalog as of one log offset: immutable, safe to read from any thread, and answered
/// from precomputed indexes in microseconds. `InstrumentCatalog` publishes a new one after
/// every committed batch; a reader that holds one sees a consistent state for as long as it
/// keeps it.
public final class CatalogSnapshot: Sendable {
    /// The next log offset this state has not applied.
    public let asOfOffset: UInt64
    let index: CatalogIndex

    init(asOfOffset: UInt64, index: CatalogIndex) {
        self.asOfOffset = asOfOffset
        self.index = index
    }

    /// Instruments known, active or not.
    public var count: Int { index.rows.count }

    /// The instrument with `token`, active or not; nil if never listed.
    public func instrument(token: UInt32) -> InstrumentRecord? { index.record(token: token) }

    /// How many instruments match `filter`.
    public func total(matching filter: CatalogFilter) -> Int { index.positions(matching: filter).cardinality }

    /// Up to `limit` matches of `filter` in catalog order, starting after `(symbol, token)`.
    /// Returns the page and whether more matches follow it.
    func page(matching filter: CatalogFilter, after position: (symbol: String, token: UInt32)?,
              limit: Int) -> (instruments: [InstrumentRecord], total: Int, hasMore: Bool) {
        let matches = index.positions(matching: filter)
        let start = position.map { index.position(after: $0.symbol, token: $0.token) } ?? 0
        var instruments: [InstrumentRecord] = []
        instruments.reserveCapacity(min(limit, 64))
        var hasMore = false
        matches.forEach(from: start) { position in
            if instruments.count == limit {
                hasMore = true
                return false
            }
            instruments.append(index.rows[position])
            return true
        }
        return (instruments, matches.cardinality, hasMore)
    }

    /// Active instruments matching `text` ranked for typing: exact trading symbol first, then
    /// symbol or name starting with it, then containing it; catalog order within each tier.
    public func search(_ text: String, limit: Int = 30) -> [InstrumentRecord] {
        let needle = Array(text.lowercased().utf8)
        guard !needle.isEmpty, limit > 0 else { return [] }
        let exact = index.text.slots(withSymbol: needle)
            .map { Int(index.positionOfSlot[Int($0)]) }
            .filter { index.active.contains($0) }
            .sorted()
        var results = exact.prefix(limit).map { index.rows[$0] }
        let wanted = limit - results.count
        guard wanted > 0 else { return results }

        var matches = index.positions(containing: needle)
        matches.formIntersection(index.active)
        var prefixed: [Int] = [], contained: [Int] = []
        matches.forEach(from: 0) { position in
            if exact.contains(position) { return true }
            let text = index.text.texts[Int(index.slotOfPosition[position])]
            let nameStart = (text.firstIndex(of: TextIndex.separator) ?? text.count - 1) + 1
            if TextIndex.hasPrefix(text[..<nameStart], needle) || TextIndex.hasPrefix(text[nameStart...], needle) {
                prefixed.append(position)
                // Positions come in catalog order, so the first `wanted` prefixed ones are final.
                return prefixed.count < wanted
            }
            if contained.count < wanted { contained.append(position) }
            return true
        }
        results += prefixed.prefix(wanted).map { index.rows[$0] }
        results += contained.prefix(limit - results.count).map { index.rows[$0] }
        return results
    }

    /// Counts over the active instruments; `today` comes from the caller, never a clock in here.
    public func stats(today: CalendarDay) -> CatalogStats {
        // 1970-01-01 was a Thursday: with Monday = 0, day 0 is weekday 3.
        let weekday = Int((Int64(today.rawValue) % 7 + 7 + 3) % 7)
        let sunday = CalendarDay(rawValue: today.rawValue + Int32(6 - weekday))
        return CatalogStats(
            asOfOffset: asOfOffset, totalActive: index.activeCount,
            byExchange: index.activeByExchange, bySegment: index.activeBySegment, byInstrumentType: index.activeByType,
            today: today, expiringToday: activeExpiring(from: today, through: today),
            expiringThisWeek: activeExpiring(from: today, through: sunday))
    }

    private func activeExpiring(from: CalendarDay, through: CalendarDay) -> Int {
        let days = index.activeExpiryDays, counts = index.activeExpiringOnOrBefore
        let upper = index.lastIndex(onOrBefore: through, in: days)
        let lower = index.lastIndex(onOrBefore: CalendarDay(rawValue: from.rawValue - 1), in: days)
        return (upper >= 0 ? counts[upper] : 0) - (lower >= 0 ? counts[lower] : 0)
    }
}
