import EventLog
import Projections

/// Folds ticks into each token's forming one-minute bar and says when a tick closes one: the source
/// of the `candle` messages `/ws/v2` sends, live and replayed alike.
///
/// A bar closes when its token's first tick of a later minute arrives (event time, no clock, so a
/// replay closes the same bars at the same ticks as the live stream did). A late tick, of a minute
/// already closed, changes nothing here (the candles projection still counts it). A bar is only
/// reported when the closer saw it from its first tick: the bar forming when a stream starts is not.
///
/// A value owned by one thread: the hub's tail thread, or a replay's.
struct CandleCloser {
    static let resolution = CandleResolution.oneMinute

    private struct FormingBar {
        var candle: Candle
        /// Whether the closer saw the bar's first tick.
        var isWhole: Bool
    }

    private var bars: [UInt32: FormingBar] = [:]
    /// Bars starting at or after this are whole even when they are a token's first: a replay from a
    /// given time sees every tick from there.
    private let wholeFrom: Timestamp?

    init(wholeFrom: Timestamp? = nil) { self.wholeFrom = wholeFrom }

    /// Folds one tick; returns the bar it closed, if any.
    mutating func apply(_ tick: Tick, time: Timestamp) -> Candle? {
        let start = Self.resolution.bucketStart(of: time)
        guard let index = bars.index(forKey: tick.token) else {
            bars[tick.token] = FormingBar(candle: Self.open(tick, at: start), isWhole: wholeFrom.map { start >= $0 } ?? false)
            return nil
        }
        let forming = bars.values[index]
        if start == forming.candle.time {
            // In place: one hash per tick.
            let price = tick.price(inDecimals: forming.candle.decimals)
            bars.values[index].candle.high = max(forming.candle.high, price)
            bars.values[index].candle.low = min(forming.candle.low, price)
            bars.values[index].candle.close = price
            bars.values[index].candle.volume &+= tick.volume
            return nil
        }
        guard start > forming.candle.time else { return nil }
        bars.values[index] = FormingBar(candle: Self.open(tick, at: start), isWhole: true)
        return forming.isWhole ? forming.candle : nil
    }

    private static func open(_ tick: Tick, at start: Timestamp) -> Candle {
        Candle(time: start, open: tick.price, high: tick.price, low: tick.price, close: tick.price, volume: tick.volume, decimals: tick.decimals)
    }
}
