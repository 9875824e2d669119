import EventLog
import Synchronization

/// The immutable, precomputed read side of one catalog state: rows in catalog order and the
/// bitsets and counts that make filters, totals and stats cheap. Built on the runner thread,
/// then read from any thread; the only mutable part is a lock-protected cache of text matches.
final class CatalogIndex: Sendable {
    /// Every instrument (active or not) in catalog order: trading symbol, then token.
    let rows: [InstrumentRecord]
    /// Position → slot, and slot → position (slots are the text index's keys).
    let slotOfPosition: [Int32]
    let positionOfSlot: [Int32]
    let slotOfToken: [UInt32: Int32]
    let text: TextIndex

    let active: Bitset
    let all: Bitset
    let byExchange: [String: Bitset]
    let bySegment: [String: Bitset]
    let byType: [String: Bitset]
    /// Distinct expiry days, ascending, and for each the rows expiring on or before it.
    let expiryDays: [CalendarDay]
    let expiringOnOrBefore: [Bitset]

    // Stats over active rows.
    let activeCount: Int
    let activeByExchange: [String: Int]
    let activeBySegment: [String: Int]
    let activeByType: [String: Int]
    /// Distinct expiry days of active rows, ascending, and how many active rows expire on or before each.
    let activeExpiryDays: [CalendarDay]
    let activeExpiringOnOrBefore: [Int]

    /// Query text → matching positions. Placing tens of thousands of matches is the one costly
    /// step of a query, and typing repeats the same prefixes. First in, first out, at most
    /// `textCacheLimit` entries (~24 MB at 96k rows; in practice only the current snapshot takes queries), dropped with the snapshot.
    private let textMatches = Mutex(TextMatchCache())
    private static let textCacheLimit = 2_048

    private struct TextMatchCache {
        var sets: [[UInt8]: Bitset] = [:]
        var arrivals: [[UInt8]] = []
        var oldest = 0
    }

    /// Builds the index for `records` (indexed by slot). When `previous` is given, only the
    /// slots in `changed` moved: their rows are re-sorted and merged into the previous order
    /// instead of sorting everything again.
    init(records: [InstrumentRecord], slotOfToken: [UInt32: Int32], text: TextIndex,
         previous: CatalogIndex?, changed: Set<Int32>) {
        let count = records.count
        var order: [Int32]
        if let previous {
            var isChanged = [Bool](repeating: false, count: count)
            for slot in changed { isChanged[Int(slot)] = true }
            let moved = changed.sorted { InstrumentRecord.precedes(records[Int($0)], records[Int($1)]) }
            order = []
            order.reserveCapacity(count)
            var m = 0
            for slot in previous.slotOfPosition where !isChanged[Int(slot)] {
                while m < moved.count && InstrumentRecord.precedes(records[Int(moved[m])], records[Int(slot)]) {
                    order.append(moved[m])
                    m += 1
                }
                order.append(slot)
            }
            order.append(contentsOf: moved[m...])
        } else {
            order = (0..<Int32(count)).sorted { InstrumentRecord.precedes(records[Int($0)], records[Int($1)]) }
        }
        precondition(order.count == count, "catalog order lost or duplicated a slot")

        var rows: [InstrumentRecord] = []
        rows.reserveCapacity(count)
        var positionOfSlot = [Int32](repeating: -1, count: count)
        var active = Bitset(count: count)
        var byExchange = FieldGroups(count: count), bySegment = FieldGroups(count: count), byType = FieldGroups(count: count)
        var positionsByExpiry: [CalendarDay: [Int]] = [:]
        var activeByExpiry: [CalendarDay: Int] = [:]
        var activeCount = 0
        for (position, slot) in order.enumerated() {
            let record = records[Int(slot)]
            rows.append(record)
            positionOfSlot[Int(slot)] = Int32(position)
            let i = record.instrument
            byExchange.insert(i.exchange, at: position)
            bySegment.insert(i.segment, at: position)
            byType.insert(i.instrumentType, at: position)
            if let expiry = i.expiry { positionsByExpiry[expiry, default: []].append(position) }
            if record.isActive {
                active.insert(position)
                activeCount += 1
                if let expiry = i.expiry { activeByExpiry[expiry, default: 0] += 1 }
            }
        }
        let expiryDays = positionsByExpiry.keys.sorted()
        var expiringOnOrBefore: [Bitset] = []
        expiringOnOrBefore.reserveCapacity(expiryDays.count)
        var running = Bitset(count: count)
        for day in expiryDays {
            for position in positionsByExpiry[day]! { running.insert(position) }
            expiringOnOrBefore.append(running)
        }
        let activeExpiryDays = activeByExpiry.keys.sorted()
        var cumulative = 0
        let activeExpiringOnOrBefore = activeExpiryDays.map { day in
            cumulative += activeByExpiry[day]!
            return cumulative
        }

        self.rows = rows
        self.slotOfPosition = order
        self.positionOfSlot = positionOfSlot
        self.slotOfToken = slotOfToken
        self.text = text
        self.active = active
        self.all = Bitset.full(count: count)
        self.byExchange = byExchange.sets
        self.bySegment = bySegment.sets
        self.byType = byType.sets
        self.expiryDays = expiryDays
        self.expiringOnOrBefore = expiringOnOrBefore
        self.activeCount = activeCount
        self.activeByExchange = byExchange.counts(within: active)
        self.activeBySegment = bySegment.counts(within: active)
        self.activeByType = byType.counts(within: active)
        self.activeExpiryDays = activeExpiryDays
        self.activeExpiringOnOrBefore = activeExpiringOnOrBefore
    }

    // MARK: filtering

    /// The positions matching `filter`: the one definition behind `total` and every page.
    func positions(matching filter: CatalogFilter) -> Bitset {
        var result: Bitset
        switch filter.activity {
        case .active: result = active
        case .delisted:
            result = all
            result.subtract(active)
        case .any: result = all
        }
        if let value = filter.exchange {
            guard let set = byExchange[value] else { return Bitset(count: rows.count) }
            result.formIntersection(set)
        }
        if let value = filter.segment {
            guard let set = bySegment[value] else { return Bitset(count: rows.count) }
            result.formIntersection(set)
        }
        if let value = filter.instrumentType {
            guard let set = byType[value] else { return Bitset(count: rows.count) }
            result.formIntersection(set)
        }
        if filter.expiryFrom != nil || filter.expiryTo != nil {
            // Rows expiring in [from, to] = (on or before `to`) minus (on or before the day before `from`).
            let upper = filter.expiryTo.map { lastIndex(onOrBefore: $0, in: expiryDays) } ?? expiryDays.count - 1
            guard upper >= 0 else { return Bitset(count: rows.count) }
            result.formIntersection(expiringOnOrBefore[upper])
            if let from = filter.expiryFrom {
                let lower = lastIndex(onOrBefore: CalendarDay(rawValue: from.rawValue - 1), in: expiryDays)
                if lower >= 0 { result.subtract(expiringOnOrBefore[lower]) }
            }
        }
        if let query = filter.query, !query.isEmpty {
            result.formIntersection(positions(containing: Array(query.lowercased().utf8)))
        }
        return result
    }

    /// Positions whose symbol or name contains `needle` (lowercased).
    func positions(containing needle: [UInt8]) -> Bitset {
        if let cached = textMatches.withLock({ $0.sets[needle] }) { return cached }
        var set = Bitset(count: rows.count)
        let (candidates, isExact) = text.candidates(containing: needle)
        // Regular symbols starting with the needle are one contiguous range of the catalog:
        // candidates there need no verification (see `TextIndex.irregularSymbols`).
        let upper = TextIndex.asciiUppercased(needle)
        let prefixStart = position(atOrAfter: String(decoding: upper, as: UTF8.self))
        var prefixEnd = prefixStart
        if !isExact {
            var step = 1
            while prefixEnd < rows.count, rows[prefixEnd].instrument.tradingSymbol.utf8.starts(with: upper) {
                prefixEnd += step // gallop, then binary search back to the exact end
                step *= 2
            }
            prefixEnd = rows[prefixStart..<min(prefixEnd, rows.count)].partitioningIndex { !$0.instrument.tradingSymbol.utf8.starts(with: upper) }
        }
        positionOfSlot.withUnsafeBufferPointer { positions in
            for slot in candidates {
                let position = Int(positions[Int(slot)])
                if isExact || (prefixStart..<prefixEnd).contains(position) || TextIndex.contains(text.texts[Int(slot)], needle) {
                    set.insert(position)
                }
            }
        }
        textMatches.withLock { cache in
            guard cache.sets[needle] == nil else { return }
            if cache.arrivals.count < Self.textCacheLimit {
                cache.arrivals.append(needle)
            } else {
                cache.sets[cache.arrivals[cache.oldest]] = nil
                cache.arrivals[cache.oldest] = needle
                cache.oldest = (cache.oldest + 1) % Self.textCacheLimit
            }
            cache.sets[needle] = set
        }
        return set
    }

    /// The first position after `(symbol, token)` in catalog order.
    func position(after symbol: String, token: UInt32) -> Int {
        rows.partitioningIndex { row in
            row.instrument.tradingSymbol == symbol ? row.instrument.token > token : row.instrument.tradingSymbol > symbol
        }
    }

    /// The first position whose trading symbol is not below `symbol`.
    func position(atOrAfter symbol: String) -> Int {
        rows.partitioningIndex { $0.instrument.tradingSymbol >= symbol }
    }

    /// Index of the last day ≤ `day`, or -1.
    func lastIndex(onOrBefore day: CalendarDay, in days: [CalendarDay]) -> Int {
        days.partitioningIndex { $0 > day } - 1
    }

    func record(token: UInt32) -> InstrumentRecord? {
        guard let slot = slotOfToken[token], Int(slot) < positionOfSlot.count else { return nil }
        return rows[Int(positionOfSlot[Int(slot)])]
    }
}

/// Rows grouped by a low-cardinality text field (exchange, segment, type) while building an
/// index. A handful of short values, and short strings compare in two machine words, so a
/// last-hit check and a linear scan beat hashing the string of every row.
private struct FieldGroups {
    private var values: [String] = []
    private var groups: [Bitset] = []
    private var last = -1
    private let count: Int

    init(count: Int) { self.count = count }

    mutating func insert(_ value: String, at position: Int) {
        if last < 0 || values[last] != value {
            if let found = values.firstIndex(of: value) {
                last = found
            } else {
                values.append(value)
                groups.append(Bitset(count: count))
                last = values.count - 1
            }
        }
        groups[last].insert(position)
    }

    var sets: [String: Bitset] { Dictionary(uniqueKeysWithValues: zip(values, groups)) }

    func counts(within subset: Bitset) -> [String: Int] {
        var counts: [String: Int] = [:]
        for (value, group) in zip(values, groups) {
            let n = group.intersectionCount(subset)
            if n > 0 { counts[value] = n }
        }
        return counts
    }
}
