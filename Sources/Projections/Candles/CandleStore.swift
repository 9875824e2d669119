import EventLog

/// The candles readers see: every series' bars as of one log offset.
///
/// Owned by `CandlesProjection.published` and only touched under that lock. Queries copy the
/// bars they return, so no reader keeps a reference to a series and a publish always
/// mutates the arrays in place (never a copy-on-write of a whole series).
struct CandleStore: Sendable {
    var slotOfToken: [UInt32: Int32] = [:]
    /// Decimal places of each slot's prices.
    var decimals: [UInt8] = []
    /// Bars by series, `slot * CandleFold.resolutionCount + resolution.index`; sorted by time, unique.
    var series: [[CandleBar]] = []
    /// The next log offset these bars have not applied.
    var asOfOffset: UInt64 = 0

    /// Bars of `token` at `resolution` starting in `[from, to)` (nil: unbounded), the last
    /// `limit` of them (nil: all; 0 or less: none), oldest first.
    func candles(token: UInt32, resolution: CandleResolution, from: Timestamp?, to: Timestamp?, limit: Int?) -> [Candle] {
        guard let slot = slotOfToken[token].map(Int.init) else { return [] }
        let bars = series[slot * CandleFold.resolutionCount + resolution.index]
        var lower = from.map { bars.firstIndex(atOrAfter: $0.rawValue) } ?? 0
        let upper = to.map { bars.firstIndex(atOrAfter: $0.rawValue) } ?? bars.count
        if let limit { lower = Swift.max(lower, upper - Swift.max(0, limit)) }
        guard lower < upper else { return [] }
        let scale = decimals[slot]
        return bars[lower..<upper].map { $0.candle(decimals: scale) }
    }
}
