import EventLog
import Projections
import Synchronization

/// A feed that ticks a `TickGenerator` at a steady rate: every `batchInterval` it appends as
/// many ticks as the rate owes since it started, all stamped with the clock's time.
///
/// The walk lives in the feed, so a restart after a failure continues it instead of starting
/// over. A feed that falls behind catches up in batches of at most `maxBatch`, back to back; one
/// more than a second behind (a slow disk, a paused process) drops the excess rather than
/// bursting it. With no instruments to tick (an empty catalog) `run` fails with
/// `SimulatedFeed.NoInstruments`, so the supervisor reports it and retries until there are some.
/// Runs on its supervisor's thread.
public final class SimulatedFeed: Feed {
    /// `run` found no instruments to tick.
    public struct NoInstruments: Error, CustomStringConvertible {
        public var description: String { "no active instruments to tick: import instruments first (tape import instruments)" }
    }

    public let name = "simulated"
    /// The most ticks one append carries; a feed catching up appends several, back to back.
    public static let maxBatch = 100_000
    /// Ticks per second.
    public let rate: Int
    /// How often a batch is appended.
    public let batchInterval: Duration
    private let seed: UInt64
    private let instruments: @Sendable () -> [Instrument]
    /// Made on the first `run` that finds instruments; kept across restarts.
    private let generator = Mutex<TickGenerator?>(nil)

    /// - Parameters:
    ///   - rate: ticks per second, at least 1.
    ///   - batchInterval: 1 to 10 ms keeps batches small and latency low; 5 ms gives 500-tick
    ///     batches at 100,000 ticks/s.
    ///   - instruments: the set to tick, most liquid first, asked for when the feed first runs
    ///     (and again on each restart until it is not empty).
    public init(rate: Int, seed: UInt64 = 1, batchInterval: Duration = .milliseconds(5),
                instruments: @escaping @Sendable () -> [Instrument]) {
        self.rate = max(1, rate)
        self.batchInterval = max(.milliseconds(1), batchInterval)
        self.seed = seed
        self.instruments = instruments
    }

    /// A feed over a fixed set of instruments, most liquid first.
    public convenience init(instruments: [Instrument], rate: Int, seed: UInt64 = 1, batchInterval: Duration = .milliseconds(5)) {
        self.init(rate: rate, seed: seed, batchInterval: batchInterval, instruments: { instruments })
    }

    /// A feed over the `count` most liquid active instruments of the catalog, as of its first run.
    public convenience init(catalog: InstrumentCatalog, count: Int = 2_000, rate: Int, seed: UInt64 = 1) {
        self.init(rate: rate, seed: seed, instruments: { Self.liquidInstruments(in: catalog.snapshot, count: count) })
    }

    /// The `count` most liquid active instruments of a catalog (`InstrumentLiquidity`), the default set to tick.
    public static func liquidInstruments(in snapshot: CatalogSnapshot, count: Int = 2_000) -> [Instrument] {
        let active = snapshot.records.filter(\.isActive).map(\.instrument)
        let byToken = Dictionary(active.map { ($0.token, $0) }, uniquingKeysWith: { first, _ in first })
        return InstrumentLiquidity.rank(active, count: count).compactMap { byToken[$0] }
    }

    /// Generates `count` ticks at `time` as records (what one batch holds).
    private func makeRecords(count: Int, at time: Timestamp) -> [Record] {
        generator.withLock { generator in
            var records: [Record] = []
            records.reserveCapacity(count)
            for _ in 0..<count { records.append(Record(time: time, event: .tick(generator!.next(at: time)))) }
            return records
        }
    }

    /// Makes the generator if there is none yet.
    private func prepareGenerator() throws(NoInstruments) {
        try generator.withLock { (generator: inout TickGenerator?) throws(NoInstruments) in
            guard generator == nil else { return }
            let set = instruments()
            guard !set.isEmpty else { throw NoInstruments() }
            generator = TickGenerator(instruments: set, seed: seed)
        }
    }

    /// Appends the ticks the rate owes every `batchInterval` until a stop is requested.
    public func run(_ context: FeedContext) throws {
        try prepareGenerator()
        let (seconds, attoseconds) = batchInterval.components
        let interval = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let start = context.now()
        var emitted: Int64 = 0
        var wake = start.rawValue
        while !context.isStopRequested {
            let now = context.now()
            let elapsed = Double(max(0, now.rawValue - start.rawValue))
            let owed = Int64((elapsed * Double(rate) / 1e9).rounded(.down))
            var due = owed - emitted
            if due > Int64(rate) {
                emitted += due - Int64(rate)
                due = Int64(rate)
            }
            due = min(due, Int64(Self.maxBatch))
            if due > 0 {
                try context.append(makeRecords(count: Int(due), at: now))
                emitted += due
                if owed > emitted { continue }  // still behind: the next batch at once
            }
            // The next batch is due one interval after the previous wake-up, not after this
            // batch's append, so the time spent appending does not lower the rate.
            wake = max(wake + interval, now.rawValue)
            context.sleep(until: Timestamp(rawValue: wake))
        }
    }
}
