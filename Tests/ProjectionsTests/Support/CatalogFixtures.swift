import EventLog
import Synchronization
@testable import Projections

/// Builds instruments and random catalog event streams for catalog tests.
enum CatalogFixtures {
    static let exchanges = ["NSE", "BSE", "NFO", "MCX"]
    static let underlyings = ["NIFTY", "BANKNIFTY", "RELIANCE", "TCS", "INFY", "GOLD", "FINNIFTY", "TATAMOTORS"]
    static let types = ["EQ", "FUT", "CE", "PE"]
    static let baseDay = CalendarDay(year: 2026, month: 11, day: 26)

    static func instrument(token: UInt32, exchange: String = "NSE", symbol: String, name: String,
                           type: String = "EQ", segment: String? = nil, expiry: CalendarDay? = nil) -> Instrument {
        Instrument(token: token, exchangeToken: token >> 8, tradingSymbol: symbol, name: name, expiry: expiry,
                   strike: 0, tickSize: 0.05, lotSize: 1, instrumentType: type,
                   segment: segment ?? exchange, exchange: exchange)
    }

    /// A random instrument for `token`; symbols collide on purpose (same symbol on two exchanges).
    static func randomInstrument(token: UInt32, using random: inout SplitMix64) -> Instrument {
        let exchange = exchanges[Int(random.next() % 4)]
        let underlying = underlyings[Int(random.next() % UInt64(underlyings.count))]
        let type = types[Int(random.next() % 4)]
        let hasExpiry = type != "EQ"
        let expiry = hasExpiry ? CalendarDay(rawValue: baseDay.rawValue + Int32(random.next() % 40)) : nil
        let strike = type == "CE" || type == "PE" ? String(100 * (random.next() % 5 + 1)) : ""
        let symbol = type == "EQ" ? underlying : "\(underlying)\(expiry!.rawValue % 100)\(strike)\(type)"
        return Instrument(token: token, exchangeToken: token >> 8, tradingSymbol: symbol,
                          name: random.next() % 5 == 0 ? "\(underlying) Ltd" : underlying,
                          expiry: expiry, strike: Double(strike) ?? 0, tickSize: 0.05, lotSize: 25,
                          instrumentType: type, segment: "\(exchange)-\(type)", exchange: exchange)
    }

    /// Random list / update / delist events over a small token space, so re-listings,
    /// duplicate listings and updates or delistings of unknown tokens all happen often.
    static func randomEvents(count: Int, tokens: UInt32, using random: inout SplitMix64) -> [Event] {
        (0..<count).map { _ in
            let token = UInt32(random.next() % UInt64(tokens)) + 1
            switch random.next() % 10 {
            case 0..<5: return .instrumentListed(randomInstrument(token: token, using: &random))
            case 5..<7: return .instrumentUpdated(randomInstrument(token: token, using: &random))
            case 7..<9: return .instrumentDelisted(token: token)
            default: return .tick(Tick(token: token, price: 100, volume: 1))
            }
        }
    }
}

/// An independent, obviously-correct fold of the catalog semantics, to check the projection against.
struct ReferenceCatalog {
    var records: [UInt32: InstrumentRecord] = [:]

    mutating func apply(_ entry: LogEntry) {
        switch entry.event {
        case .instrumentListed(let i):
            if var r = records[i.token] {
                if !r.isActive {
                    r = InstrumentRecord(instrument: i, isActive: true, listedOffset: entry.offset,
                                         listedTime: entry.time, updatedTime: entry.time, delistedTime: nil)
                } else {
                    r.instrument = i
                    r.updatedTime = entry.time
                }
                records[i.token] = r
            } else {
                records[i.token] = InstrumentRecord(instrument: i, isActive: true, listedOffset: entry.offset,
                                                    listedTime: entry.time, updatedTime: entry.time, delistedTime: nil)
            }
        case .instrumentUpdated(let i):
            records[i.token]?.instrument = i
            records[i.token]?.updatedTime = entry.time
        case .instrumentDelisted(let token):
            if records[token]?.isActive == true {
                records[token]?.isActive = false
                records[token]?.delistedTime = entry.time
            }
        default: break
        }
    }

    /// Matches of `filter` in catalog order, by brute force.
    func matches(_ filter: CatalogFilter) -> [InstrumentRecord] {
        records.values.filter { Self.matches($0, filter) }.sorted {
            $0.instrument.tradingSymbol == $1.instrument.tradingSymbol
                ? $0.token < $1.token : $0.instrument.tradingSymbol < $1.instrument.tradingSymbol
        }
    }
}

extension ReferenceCatalog {
    /// The filter semantics written out independently of `CatalogFilter.matches`.
    static func matches(_ record: InstrumentRecord, _ filter: CatalogFilter) -> Bool {
        let i = record.instrument
        if filter.activity == .active && !record.isActive || filter.activity == .delisted && record.isActive { return false }
        if filter.exchange.map({ $0 != i.exchange }) ?? false { return false }
        if filter.segment.map({ $0 != i.segment }) ?? false { return false }
        if filter.instrumentType.map({ $0 != i.instrumentType }) ?? false { return false }
        if filter.expiryFrom != nil || filter.expiryTo != nil {
            guard let expiry = i.expiry else { return false }
            if expiry < (filter.expiryFrom ?? expiry) || expiry > (filter.expiryTo ?? expiry) { return false }
        }
        if let q = filter.query?.lowercased(), !q.isEmpty {
            return i.tradingSymbol.lowercased().contains(q) || i.name.lowercased().contains(q)
        }
        return true
    }
}

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let now = Mutex(Timestamp(nanoseconds: 1_000_000_000_000))
    func read() -> Timestamp { now.withLock { $0 } }
    func advance(seconds: Int64) { now.withLock { $0 = Timestamp(nanoseconds: $0.rawValue + seconds * 1_000_000_000) } }
}

struct WalkDidNotEnd: Error {}

extension InstrumentCatalog {
    /// Folds `events` as entries starting at `offset` and publishes, as the runner would after a batch.
    func applyAndPublish(_ events: [Event], from offset: UInt64) throws {
        for (i, event) in events.enumerated() {
            let at = offset + UInt64(i)
            try apply(LogEntry(offset: at, time: Timestamp(nanoseconds: Int64(at) * 1_000_000_000), event: event))
        }
        publish(through: offset + UInt64(events.count))
    }

    /// Every page of `filter` at `limit`, following cursors to the end.
    func walk(_ filter: CatalogFilter, limit: Int, between: () throws -> Void = {}) throws -> (records: [InstrumentRecord], totals: Set<Int>, pages: Int) {
        var cursor: String?
        var records: [InstrumentRecord] = []
        var totals = Set<Int>()
        var pages = 0
        repeat {
            let page = try page(matching: filter, after: cursor, limit: limit)
            records += page.instruments
            totals.insert(page.total)
            pages += 1
            cursor = page.nextCursor
            try between()
            // A cursor that stops advancing would loop forever: fail instead.
            guard pages <= 100_000 else { throw WalkDidNotEnd() }
        } while cursor != nil
        return (records, totals, pages)
    }
}
