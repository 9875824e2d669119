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

    /// Every instrument known, active or not, in catalog order (trading symbol, then token).
    public var records: [InstrumentRecord] { index.rows }

    /// The instrument with `token`, active or not; nil if never listed.
    public func instrument(token: UInt32) -> InstrumentRecord? { index.record(token: token) }

    /// The instruments whose trading symbol is exactly `symbol`, active first, then by token.
    public func instruments(withSymbol symbol: String) -> [InstrumentRecord] {
        var matches: [InstrumentRecord] = []
        var position = index.position(atOrAfter: symbol)
        while position < index.rows.count, index.rows[position].instrument.tradingSymbol == symbol {
            matches.append(index.rows[position])
            position += 1
        }
        return matches.sorted { ($0.isActive ? 0 : 1, $0.token) < ($1.isActive ? 0 : 1, $1.token) }
    }

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
    /// symbols starting with it, then symbols or names containing it; catalog order within each
    /// tier. Case-insensitive.
    public func search(_ text: String, limit: Int = 30) -> [InstrumentRecord] {
        let needle = Array(text.lowercased().utf8)
        guard !needle.isEmpty, limit > 0 else { return [] }
        var taken = Set<Int>()
        var results: [Int] = []

        // Tier 0: exact symbol.
        let exact = index.text.slots(withSymbol: needle)
            .map { Int(index.positionOfSlot[Int($0)]) }
            .filter { index.active.contains($0) }
            .sorted()
        for position in exact.prefix(limit) { results.append(position); taken.insert(position) }
        if results.count == limit { return results.map { index.rows[$0] } }

        // Tier 1: symbol prefix — a binary-searched range of the catalog, plus the few irregular symbols.
        let upper = TextIndex.asciiUppercased(needle)
        var prefixed: [Int] = []
        var position = index.position(atOrAfter: String(decoding: upper, as: UTF8.self))
        while position < index.rows.count, prefixed.count < limit - results.count,
              index.rows[position].instrument.tradingSymbol.utf8.starts(with: upper) {
            if index.active.contains(position) && !taken.contains(position) { prefixed.append(position) }
            position += 1
        }
        for slot in index.text.irregularSymbols {
            let p = Int(index.positionOfSlot[Int(slot)])
            if index.active.contains(p), !taken.contains(p),
               index.text.texts[Int(slot)].starts(with: needle) { prefixed.append(p) }
        }
        for p in prefixed.sorted().prefix(limit - results.count) { results.append(p); taken.insert(p) }
        if results.count == limit { return results.map { index.rows[$0] } }

        // Tier 2: substring of symbol or name, skipping what a better tier already took.
        let isSymbolPrefix = { (p: Int) in
            let slot = Int(self.index.slotOfPosition[p])
            return self.index.text.texts[slot].starts(with: needle)
        }
        let candidates = index.text.slots(containing: needle)
        var contained: [Int] = []
        let wanted = limit - results.count
        if candidates.count <= 4_096 {
            // Few matches: place them and sort.
            contained = candidates.map { Int(index.positionOfSlot[Int($0)]) }
                .filter { index.active.contains($0) && !taken.contains($0) && !isSymbolPrefix($0) }
                .sorted()
        } else {
            // Many matches: walking the catalog in order finds `wanted` of them within a few hundred rows.
            var p = 0
            while p < index.rows.count && contained.count < wanted {
                if index.active.contains(p), !taken.contains(p), !isSymbolPrefix(p),
                   TextIndex.contains(index.text.texts[Int(index.slotOfPosition[p])], needle) {
                    contained.append(p)
                }
                p += 1
            }
        }
        results += contained.prefix(wanted)
        return results.map { index.rows[$0] }
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
