import EventLog

/// A bar as the fold keeps it: a `Candle` without the series-wide decimals, plus the times of
/// the ticks that set its open and close, so that a late tick lands correctly. 64 bytes.
///
/// The open is the earliest tick (ties keep the earlier log offset), the close the latest
/// (ties go to the later offset): the same rules as `Quote`, whatever order times arrive in.
struct CandleBar: Hashable, Sendable {
    /// Bucket start, ns since the epoch.
    var time: Int64
    var open: Int64
    var high: Int64
    var low: Int64
    var close: Int64
    var volume: UInt64
    /// Times of the ticks that set `open` and `close`.
    var openTime: Int64
    var closeTime: Int64
}

// Outside the type's body, so that the memberwise initializer (used by `load`) stays.
extension CandleBar {
    /// A bar holding one tick.
    init(time: Int64, price: Int64, quantity: UInt64, tickTime: Int64) {
        self.init(time: time, open: price, high: price, low: price, close: price, volume: quantity,
                  openTime: tickTime, closeTime: tickTime)
    }

    /// Folds one more tick of this bar's bucket, applied in log order.
    @inline(__always)
    mutating func add(price: Int64, quantity: UInt64, tickTime: Int64) {
        if price > high { high = price }
        if price < low { low = price }
        volume = volume.addingSaturating(quantity)
        if tickTime < openTime {
            open = price
            openTime = tickTime
        }
        if tickTime >= closeTime {
            close = price
            closeTime = tickTime
        }
    }

    func candle(decimals: UInt8) -> Candle {
        Candle(time: Timestamp(rawValue: time), open: open, high: high, low: low, close: close,
               volume: volume, decimals: decimals)
    }
}

extension Array where Element == CandleBar {
    /// The first index whose bar starts at or after `time` (`count` if none): bars are sorted
    /// by time, unique. Checks the end first, where nearly every tick lands.
    func firstIndex(atOrAfter time: Int64) -> Int {
        if let last, last.time < time { return count }
        return partitioningIndex { $0.time >= time }
    }

    /// The bar starting at `time`, if there is one.
    func bar(at time: Int64) -> CandleBar? {
        let i = firstIndex(atOrAfter: time)
        return i < count && self[i].time == time ? self[i] : nil
    }

    /// Writes `bar` over the bar with its time, or inserts it in order if it is new.
    /// Checks the end first, where nearly every change lands.
    mutating func merge(_ bar: CandleBar) {
        if let last, last.time <= bar.time {
            if last.time == bar.time { self[count - 1] = bar } else { append(bar) }
            return
        }
        let i = firstIndex(atOrAfter: bar.time)
        if i < count && self[i].time == bar.time { self[i] = bar } else { insert(bar, at: i) }
    }
}
