import EventLog
import Foundation
import Services

/// The logs the benchmarks read: the demo instrument master as `tape serve --demo` imports it,
/// and seeded random-walk ticks over the fixture's most liquid instruments.
enum BenchLog {
    /// Appends the demo's instrument imports: the expired contracts listed, then the day's master
    /// (which delists them). Returns the number of records appended.
    @discardableResult
    static func appendInstruments(to log: EventLog, at time: Timestamp = Timestamp(seconds: 1_764_200_000)) throws -> Int {
        let fixture = InstrumentFixture.generate(seed: 1)
        var catalog: [UInt32: Instrument] = [:]
        var appended = 0
        for instruments in [fixture.expired, fixture.active] {
            let rows = instruments.enumerated().map { KiteInstrumentCSV.Row(line: $0.offset + 2, instrument: $0.element) }
            let records = InstrumentImport(catalog: catalog, rows: rows).records(at: time)
            for start in stride(from: 0, to: records.count, by: 10_000) {
                try log.append(Array(records[start..<min(start + 10_000, records.count)]))
            }
            appended += records.count
            catalog = Dictionary(uniqueKeysWithValues: instruments.map { ($0.token, $0) })
        }
        return appended
    }

    /// Appends `count` ticks of a `TickWalk` in batches of `batchSize`.
    static func appendTicks(_ count: Int, to log: EventLog, walk: inout TickWalk, batchSize: Int = 1_000) throws {
        var left = count
        while left > 0 {
            let n = min(batchSize, left)
            try log.append(walk.batch(n))
            left -= n
        }
    }

    /// A log in `directory` of the demo instruments, then `ticks` ticks spread over one trading
    /// session (09:15–15:30 IST, 22,500 s), so candles get a day's bars; durability `never`
    /// (building the input is not what is measured). Returns the number of events.
    static func makeMarketDay(directory: String, ticks: Int) throws -> UInt64 {
        let log = try EventLog(directory: directory, options: LogOptions(durability: .never))
        try appendInstruments(to: log)
        // 2026-11-27 09:15 IST is 03:45 UTC.
        var walk = TickWalk(instruments: 2_000, start: Timestamp(seconds: 1_764_215_100),
                            meanStepNanos: max(1, 22_500_000_000_000 / Int64(ticks)))
        try appendTicks(ticks, to: log, walk: &walk, batchSize: 10_000)
        let end = log.acceptedEnd
        try log.close()
        return end
    }
}

/// A seeded random walk of ticks over the fixture's most liquid tokens: prices in paise on a
/// 5-paise grid, each tick moving one instrument by up to ±3 steps, exchange times advancing
/// by 1…2×`meanStepNanos` (rounded to microseconds).
struct TickWalk {
    private var rng = SplitMix64(seed: 2)
    private let tokens: [UInt32]
    private var prices: [Int64]
    private var time: Int64
    private let maxStepMicros: Int

    init(instruments: Int, start: Timestamp, meanStepNanos: Int64) {
        tokens = InstrumentFixture.generate(seed: 1).liquid(count: instruments)
        var rng = rng
        prices = tokens.map { _ in Int64(rng.next(in: 2_000...100_000)) * 5 }
        self.rng = rng
        time = start.rawValue
        maxStepMicros = max(1, Int(2 * meanStepNanos / 1_000) - 1)
    }

    /// The next `count` ticks.
    mutating func batch(_ count: Int) -> [Record] {
        var batch: [Record] = []
        batch.reserveCapacity(count)
        for _ in 0..<count {
            let i = rng.next(in: 0...(tokens.count - 1))
            prices[i] = max(5, prices[i] + Int64(rng.next(in: -3...3)) * 5)
            time += Int64(rng.next(in: 1...maxStepMicros)) * 1_000
            batch.append(Record(time: Timestamp(rawValue: time), event: .tick(Tick(
                token: tokens[i], price: prices[i], volume: UInt64(rng.next(in: 1...500))))))
        }
        return batch
    }
}
