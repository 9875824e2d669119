import EventLog

/// The candles fold between two publishes: the newest (open) bar of every series, and every
/// other bar changed since the last publish. Everything older lives only in the published
/// `CandleStore`, which this type never holds a reference to.
///
/// A value type owned by `CandlesProjection` on its runner thread; keeping the fold in one
/// struct lets the tick loop touch its arrays without per-access exclusivity checks.
struct CandleFold {
    /// A bar's identity: its series and start time.
    struct BarKey: Hashable {
        var series: Int
        var time: Int64
    }

    static let resolutionCount = CandleResolution.allCases.count
    /// Bar lengths in ns by resolution index; stored so that the tick loop allocates nothing.
    private let bucketSizes = CandleResolution.allCases.map(\.nanoseconds)

    // A token's slot is its position in `tokens`; its series are `slot * resolutionCount + resolution.index`.
    private(set) var slotOfToken: [UInt32: Int32] = [:]
    private(set) var tokens: [UInt32] = []
    private(set) var decimals: [UInt8] = []
    /// Per series, its newest bar. Every series has one: a token's first tick opens all of them.
    private(set) var openBars: [CandleBar] = []
    /// Per series, whether `openBars` changed since the last publish; the changed ones, in order.
    private var isOpenBarChanged: [Bool] = []
    private(set) var changedOpenSeries: [Int] = []
    /// Bars other than the open ones changed since the last publish: late ticks, and open bars a newer bar replaced.
    private(set) var changedBars: [BarKey: CandleBar] = [:]
    /// Slots below this are in the published store (and, the runner persisting before it publishes, in SQLite).
    private var publishedSlots = 0

    init() {}

    /// A fold resuming from loaded state: `openBars` are the newest bar of each of the tokens' series.
    init(tokens: [UInt32], decimals: [UInt8], openBars: [CandleBar]) {
        precondition(openBars.count == tokens.count * Self.resolutionCount && decimals.count == tokens.count)
        self.tokens = tokens
        self.decimals = decimals
        self.openBars = openBars
        for (slot, token) in tokens.enumerated() { slotOfToken[token] = Int32(slot) }
        isOpenBarChanged = Array(repeating: false, count: openBars.count)
        publishedSlots = tokens.count
    }

    /// Folds one tick at `time` (ns). `publishedBar(series, start)` answers the published bar
    /// for a late tick whose bar this fold does not hold.
    @inline(__always)
    mutating func apply(_ tick: Tick, at time: Int64, publishedBar: (_ series: Int, _ start: Int64) -> CandleBar?) {
        guard let existing = slotOfToken[tick.token] else { return addSlot(for: tick, at: time) }
        let slot = Int(existing)
        let price = tick.price(inDecimals: decimals[slot])
        var series = slot * Self.resolutionCount
        for size in bucketSizes {
            // Within the open bar (a compare, no division): the path nearly every tick takes.
            // The unsigned difference is exact because time >= start.
            let start = openBars[series].time
            if time >= start && UInt64(bitPattern: time &- start) < UInt64(size) {
                openBars[series].add(price: price, quantity: tick.volume, tickTime: time)
                markOpenBarChanged(series)
            } else {
                add(price: price, quantity: tick.volume, at: time, toBarStarting: CandleResolution.bucketStart(time, size: size),
                    ofSeries: series, publishedBar: publishedBar)
            }
            series += 1
        }
    }

    private mutating func addSlot(for tick: Tick, at time: Int64) {
        slotOfToken[tick.token] = Int32(tokens.count)
        tokens.append(tick.token)
        decimals.append(tick.decimals)
        for size in bucketSizes {
            openBars.append(CandleBar(time: CandleResolution.bucketStart(time, size: size), price: tick.price,
                                      quantity: tick.volume, tickTime: time))
            isOpenBarChanged.append(true)
            changedOpenSeries.append(openBars.count - 1)
        }
    }

    @inline(__always)
    private mutating func markOpenBarChanged(_ series: Int) {
        if !isOpenBarChanged[series] {
            isOpenBarChanged[series] = true
            changedOpenSeries.append(series)
        }
    }

    private mutating func add(price: Int64, quantity: UInt64, at time: Int64, toBarStarting start: Int64, ofSeries series: Int,
                              publishedBar: (Int, Int64) -> CandleBar?) {
        if start > openBars[series].time {
            // A newer bar opens. The old one is now an ordinary bar: it moves from the open bars'
            // table to the closed ones even when this batch did not change it.
            changedBars[BarKey(series: series, time: openBars[series].time)] = openBars[series]
            openBars[series] = CandleBar(time: start, price: price, quantity: quantity, tickTime: time)
            markOpenBarChanged(series)
            return
        }
        // A late tick: its bar is one this batch changed, a published one, or a gap.
        let key = BarKey(series: series, time: start)
        if let index = changedBars.index(forKey: key) {
            changedBars.values[index].add(price: price, quantity: quantity, tickTime: time)
        } else if var bar = publishedBar(series, start) {
            bar.add(price: price, quantity: quantity, tickTime: time)
            changedBars[key] = bar
        } else {
            changedBars[key] = CandleBar(time: start, price: price, quantity: quantity, tickTime: time)
        }
    }

    /// Slots of the tokens that first ticked since the last publish.
    var newSlots: Range<Int> { publishedSlots..<tokens.count }

    /// Calls `body` for each changed bar that is not its series' newest (a bar a newer one
    /// closed, or an older bar a late tick changed), and then `open` for each changed newest bar,
    /// each in the order of its table's key (token, resolution, time): SQLite then writes each
    /// B-tree page once, in order, instead of seeking for every row (a rebuild writes a million).
    func forEachChangedBar(closed body: (_ series: Int, _ bar: CandleBar) throws -> Void,
                           open: (_ series: Int, _ bar: CandleBar) throws -> Void) rethrows {
        let resolutions = Self.resolutionCount
        let order = { (a: Int, b: Int) -> Bool in
            let tokenA = tokens[a / resolutions], tokenB = tokens[b / resolutions]
            return tokenA != tokenB ? tokenA < tokenB : a < b
        }
        let closed = changedBars.sorted { a, b in
            a.key.series != b.key.series ? order(a.key.series, b.key.series) : a.key.time < b.key.time
        }
        for (key, bar) in closed { try body(key.series, bar) }
        for series in changedOpenSeries.sorted(by: order) { try open(series, openBars[series]) }
    }

    /// Writes the changes into `store` (new tokens, changed bars, then open bars, so that each
    /// lands at or near the end of its array) and starts the next batch with none.
    mutating func publish(into store: inout CandleStore) {
        for slot in store.decimals.count..<tokens.count {
            store.slotOfToken[tokens[slot]] = Int32(slot)
            store.decimals.append(decimals[slot])
            store.series.append(contentsOf: repeatElement([], count: Self.resolutionCount))
        }
        // Oldest first within a series, so that each merge appends instead of inserting mid-array.
        for (key, bar) in changedBars.sorted(by: { ($0.key.series, $0.key.time) < ($1.key.series, $1.key.time) }) {
            store.series[key.series].merge(bar)
        }
        for series in changedOpenSeries {
            store.series[series].merge(openBars[series])
            isOpenBarChanged[series] = false
        }
        changedBars.removeAll(keepingCapacity: true)
        changedOpenSeries.removeAll(keepingCapacity: true)
        publishedSlots = tokens.count
    }
}
