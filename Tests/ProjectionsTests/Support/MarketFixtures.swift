import EventLog
@testable import Projections

/// Random tick streams for the quotes and candles tests: several tokens over several UTC days,
/// with late ticks (same day and earlier days), repeated times, bucket-boundary times, a token
/// whose ticks change scale, and other events mixed in.
enum MarketFixtures {
    static let firstDay = CalendarDay(year: 2026, month: 3, day: 2)
    static let second: Int64 = 1_000_000_000

    /// `seconds` after midnight UTC of `day` days after `firstDay`.
    static func time(day: Int, seconds: Int64, nanoseconds: Int64 = 0) -> Timestamp {
        Timestamp(nanoseconds: (Int64(firstDay.rawValue) + Int64(day)) * 86_400 * second + seconds * second + nanoseconds)
    }

    static func randomRecords(count: Int, tokens: UInt32 = 6, days: Int = 4, using random: inout SplitMix64) -> [Record] {
        var records: [Record] = []
        var clock = time(day: 0, seconds: 3 * 3_600 + 45 * 60) // 09:15 IST
        var prices: [UInt32: Int64] = [:]
        var previous = clock
        let dayLength = 86_400 * second
        for _ in 0..<count {
            // The feed's clock: mostly small steps, sometimes the next day's session.
            if random.next() % 400 == 0 && clock.rawValue < time(day: days - 1, seconds: 0).rawValue {
                clock = Timestamp(nanoseconds: CalendarDay(containing: clock).start.rawValue + dayLength + (3 * 3_600 + 45 * 60) * second)
            } else {
                clock = Timestamp(nanoseconds: clock.rawValue + Int64(random.next() % (4 * UInt64(second))))
            }
            if random.next() % 25 == 0 {
                records.append(Record(time: clock, event: random.next() % 2 == 0 ? .instrumentDelisted(token: 1)
                                                                                  : .apiKeyRevoked(APIKeyRevoked(keyID: 9))))
                continue
            }
            var at = clock
            switch random.next() % 100 {
            case 0..<8: at = Timestamp(nanoseconds: clock.rawValue - Int64(random.next() % (2 * 3_600 * UInt64(second)))) // late, same session
            case 8..<10: at = Timestamp(nanoseconds: clock.rawValue - dayLength - Int64(random.next() % (3_600 * UInt64(second)))) // a day late
            case 10..<11: at = Timestamp(nanoseconds: clock.rawValue - 2 * dayLength) // two days late
            case 11..<16: at = previous // the same time as the tick before
            case 16..<20: at = CandleResolution.fiveMinutes.bucketStart(of: clock) // exactly on a boundary
            case 20..<22: at = Timestamp(nanoseconds: CandleResolution.oneMinute.bucketStart(of: clock).rawValue - 1) // just before one
            default: break
            }
            previous = at
            let token = UInt32(random.next() % UInt64(tokens)) + 1
            let move = Int64(random.next() % 41) - 20
            let price = max(1, (prices[token] ?? Int64(token) * 10_000) + move)
            prices[token] = price
            var tick = Tick(token: token, price: price, decimals: 2, volume: random.next() % 10 == 0 ? 0 : random.next() % 500 + 1)
            if token == 2 && random.next() % 3 == 0 {
                // Token 2 sometimes quotes with four places: values that must round into two.
                tick.decimals = 4
                tick.price = price * 100 + Int64(random.next() % 100)
            }
            if random.next() % 2 == 0 {
                tick.bid = tick.price - 5
                tick.ask = tick.price + 5
            }
            if random.next() % 3 == 0 { tick.openInterest = random.next() % 100_000 }
            records.append(Record(time: at, event: .tick(tick)))
        }
        return records
    }
}

/// The quote and candle semantics recomputed from the raw ticks by brute force: no
/// incremental state, every field is a min, max, sum or filter over the whole tick list.
struct ReferenceMarket {
    struct Sample {
        var tick: Tick
        var time: Timestamp
        var offset: UInt64
        /// Later in (time, offset) order.
        func isAfter(_ other: Sample) -> Bool { (time, offset) > (other.time, other.offset) }
    }
    var samples: [UInt32: [Sample]] = [:]

    init(_ entries: [LogEntry]) {
        for entry in entries {
            if case .tick(let tick) = entry.event {
                samples[tick.token, default: []].append(Sample(tick: tick, time: entry.time, offset: entry.offset))
            }
        }
    }

    var tokens: [UInt32] { samples.keys.sorted() }

    /// The scale of the token's first tick in log order.
    func decimals(_ token: UInt32) -> UInt8 { samples[token]!.min { $0.offset < $1.offset }!.tick.decimals }

    func price(_ sample: Sample, _ decimals: UInt8) -> Int64 { Tick.rescale(sample.tick.price, from: sample.tick.decimals, to: decimals) }

    func quote(_ token: UInt32) -> Quote? {
        guard let all = samples[token] else { return nil }
        let decimals = decimals(token)
        let day = all.map { CalendarDay(containing: $0.time) }.max()!
        let today = all.filter { CalendarDay(containing: $0.time) == day }
        let last = today.max { $1.isAfter($0) }!
        let first = today.min { $1.isAfter($0) }!
        let prices = today.map { price($0, decimals) }
        let earlier = all.filter { CalendarDay(containing: $0.time) < day }
        let previousDay = earlier.map { CalendarDay(containing: $0.time) }.max()
        let previousClose = previousDay.map { d in earlier.filter { CalendarDay(containing: $0.time) == d }.max { $1.isAfter($0) }! }
        return Quote(token: token, decimals: decimals, lastPrice: price(last, decimals), lastQuantity: last.tick.volume,
                     lastTime: last.time, lastOffset: last.offset, openInterest: last.tick.openInterest,
                     bid: last.tick.bid.map { Tick.rescale($0, from: last.tick.decimals, to: decimals) },
                     ask: last.tick.ask.map { Tick.rescale($0, from: last.tick.decimals, to: decimals) },
                     day: day, open: price(first, decimals), high: prices.max()!, low: prices.min()!,
                     dayVolume: today.reduce(0) { $0 + $1.tick.volume }, openTime: first.time,
                     previousDay: previousDay, previousClose: previousClose.map { price($0, decimals) },
                     previousCloseTime: previousClose?.time)
    }

    func bars(_ token: UInt32, _ resolution: CandleResolution) -> [CandleBar] {
        guard let all = samples[token] else { return [] }
        let decimals = decimals(token)
        let size = resolution.nanoseconds
        let buckets = Dictionary(grouping: all) { sample -> Int64 in
            // Floor division written out again, independently of bucketStart.
            let t = sample.time.rawValue
            return (t >= 0 ? t / size : -((-t + size - 1) / size)) * size
        }
        return buckets.keys.sorted().map { start in
            let group = buckets[start]!
            let first = group.min { $1.isAfter($0) }!, last = group.max { $1.isAfter($0) }!
            let prices = group.map { price($0, decimals) }
            return CandleBar(time: start, open: price(first, decimals), high: prices.max()!, low: prices.min()!,
                             close: price(last, decimals), volume: group.reduce(0) { $0 + $1.tick.volume },
                             openTime: first.time.rawValue, closeTime: last.time.rawValue)
        }
    }

    func candles(_ token: UInt32, _ resolution: CandleResolution) -> [Candle] {
        guard samples[token] != nil else { return [] }
        let decimals = decimals(token)
        return bars(token, resolution).map { $0.candle(decimals: decimals) }
    }
}

/// A real `EventLog` in a temporary directory and a SQLite file beside it, for running
/// projections through the real `ProjectionRunner`.
final class MarketLogHarness {
    let directory = TemporaryDirectory()
    let log: EventLog
    var databasePath: String { directory.file("projections.sqlite") }

    init() throws {
        log = try EventLog(directory: directory.file("log"), options: LogOptions(durability: .never))
    }

    deinit { try? log.close() }

    func append(_ records: [Record]) throws {
        if !records.isEmpty { try log.append(records) }
    }

    func entries() throws -> [LogEntry] { try log.makeReader().read(from: 0, limit: Int.max) }

    func makeRunner(_ projection: any Projection, batchSize: Int, databasePath: String? = nil) throws -> ProjectionRunner {
        ProjectionRunner(projection: projection, log: try log.makeReader(), databasePath: databasePath ?? self.databasePath,
                         batchSize: batchSize)
    }

    /// Appends `records` in random chunks and catches `projection` up after some of them, with
    /// random batch sizes, sometimes restarting (a fresh projection loading from SQLite);
    /// calls `check` with the projection and the log so far after every catch-up.
    /// Returns the projection that ran last.
    func foldInRandomBatches<P: Projection>(_ records: [Record], using random: inout SplitMix64, make: () -> P,
                                            check: (P, [LogEntry]) throws -> Void) throws -> P {
        var projection = make()
        var runner = try makeRunner(projection, batchSize: random.next(in: 1...700))
        var position = 0
        while position < records.count {
            let chunk = random.next(in: 1...400)
            try append(Array(records[position..<min(records.count, position + chunk)]))
            position += chunk
            guard random.next() % 3 == 0 || position >= records.count else { continue }
            if random.next() % 3 == 0 {
                projection = make()
                runner = try makeRunner(projection, batchSize: random.next(in: 1...700))
            }
            try runner.catchUp()
            try check(projection, try entries())
        }
        return projection
    }

    /// The four ways to reach the state after `records`: folding the first `split` of them,
    /// then restarting on the same database for the rest (`resumed`); one catch-up from zero
    /// on a fresh file (`rebuilt`); reading the resumed tables alone (`loaded`, published at the
    /// end offset); and `rebuild()` over the resumed database (`rebuiltInPlace`).
    func resumeLoadAndRebuild<P: Projection>(_ records: [Record], split: Int, make: () -> P) throws
        -> (resumed: P, rebuilt: P, loaded: P, rebuiltInPlace: P) {
        try append(Array(records[..<split]))
        try makeRunner(make(), batchSize: 333).catchUp()
        try append(Array(records[split...]))
        let resumed = make()
        let end = try makeRunner(resumed, batchSize: 77).catchUp()

        let rebuilt = make()
        try makeRunner(rebuilt, batchSize: 10_000, databasePath: directory.file("clean.sqlite")).catchUp()
        let loaded = make()
        try loaded.load(from: try Database(path: databasePath))
        loaded.publish(through: end)
        let rebuiltInPlace = make()
        try makeRunner(rebuiltInPlace, batchSize: 1_000).rebuild()
        return (resumed, rebuilt, loaded, rebuiltInPlace)
    }
}
