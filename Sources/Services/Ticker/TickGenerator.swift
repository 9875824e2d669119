import EventLog
import Glibc

/// The pure core of the simulated feed: a seeded random walk over a set of instruments.
///
/// Each call to `next(at:)` picks an instrument (earlier ones, the more liquid, more often),
/// moves its price a few ticks, and returns a tick whose price, bid and ask lie on the
/// instrument's `PriceGrid` and are positive. Derivatives carry open interest. The same seed,
/// instruments and number of calls always give the same ticks; an instrument's starting price
/// depends only on the seed and the instrument, not on the others in the set.
/// A value type, owned by one thread at a time.
public struct TickGenerator: Sendable {
    /// One instrument's walk.
    struct Walk: Sendable {
        let token: UInt32
        let grid: PriceGrid
        /// The price stays within `floor...ceiling` (a quarter to four times the start).
        let floor: Int64
        let ceiling: Int64
        /// How many ticks a typical move spans (0.02% of the starting price, at least one tick).
        let step: Int64
        let lot: UInt64
        let isDerivative: Bool
        var price: Int64
        var openInterest: UInt64
    }

    private(set) var walks: [Walk]
    private var rng: SplitMix64

    /// - Parameter instruments: most liquid first; may not be empty.
    public init(instruments: [Instrument], seed: UInt64) {
        precondition(!instruments.isEmpty, "a tick generator needs at least one instrument")
        walks = instruments.map { Self.makeWalk($0, seed: seed) }
        rng = SplitMix64(seed: seed)
    }

    /// The tokens ticked, in the order given.
    public var tokens: [UInt32] { walks.map(\.token) }

    /// The next tick; `time` is when it happens (the walk itself does not depend on it, so that
    /// a paced feed and a test produce the same sequence).
    public mutating func next(at time: Timestamp) -> Tick {
        // u² skews towards the front: the first instrument ticks ~30 times as often as the median one.
        let u = Double(rng.next() >> 11) / Double(1 << 53)
        let index = min(walks.count - 1, Int(u * u * Double(walks.count)))
        var walk = walks[index]
        let grid = walk.grid

        let move = Int64(rng.next(in: -3...3)) * walk.step * grid.tick
        var price = walk.price + move
        if price < walk.floor || price > walk.ceiling { price = walk.price - move }
        walk.price = grid.snap(price)

        let spread = Int64(rng.next(in: 1...2)) * grid.tick
        let volume = walk.lot * UInt64(rng.next(in: 1...(walk.isDerivative ? 20 : 500)))
        var openInterest: UInt64?
        if walk.isDerivative {
            let change = Int64(rng.next(in: -5...5)) * Int64(walk.lot)
            walk.openInterest = UInt64(max(0, Int64(walk.openInterest) + change))
            openInterest = walk.openInterest
        }
        walks[index] = walk
        return Tick(token: walk.token, price: walk.price, decimals: grid.decimals, volume: volume, openInterest: openInterest,
                    bid: walk.price > spread ? walk.price - spread : nil, ask: walk.price + spread)
    }

    /// Where an instrument's walk starts: a price drawn for its kind, from a generator seeded by
    /// the feed's seed and the token.
    static func makeWalk(_ instrument: Instrument, seed: UInt64) -> Walk {
        var rng = SplitMix64(seed: seed ^ (UInt64(instrument.token) &* 0x9E37_79B9_7F4A_7C15))
        func logUniform(_ low: Double, _ high: Double) -> Double {
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            return low * pow(high / low, u)
        }
        let isOption = instrument.instrumentType == "CE" || instrument.instrumentType == "PE"
        let start: Double = if instrument.segment == "INDICES" {
            logUniform(5_000, 80_000)
        } else if isOption {
            Instrument.isUsableAmount(instrument.strike) ? instrument.strike * logUniform(0.002, 0.06) : logUniform(1, 500)
        } else if instrument.exchange == "CDS" || instrument.exchange == "BCD" {
            logUniform(55, 115)
        } else {
            logUniform(20, 20_000)
        }
        let grid = PriceGrid(tickSize: instrument.tickSize)
        let price = grid.snap(Int64((start * Tick.scale(grid.decimals)).rounded()))
        let isDerivative = instrument.instrumentType == "FUT" || isOption
        let lot = UInt64(max(1, instrument.lotSize))
        return Walk(token: instrument.token, grid: grid, floor: max(grid.tick, price / 4), ceiling: price * 4,
                    step: max(1, price / 5_000 / grid.tick), lot: lot, isDerivative: isDerivative,
                    price: price, openInterest: isDerivative ? lot * UInt64(rng.next(in: 1_000...100_000)) : 0)
    }
}
