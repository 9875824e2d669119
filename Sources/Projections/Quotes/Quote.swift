import EventLog

/// One instrument's quote: its last tick and the day's open, high, low, close and volume.
///
/// A pure value folded from ticks by `apply(_:time:offset:)`; `QuoteBook` keeps one per
/// token. The rules, which hold whatever order the ticks' times arrive in (pinned by tests
/// against a brute-force recomputation):
/// - prices are in one scale, `decimals`, set by the first tick (see `Tick.price(inDecimals:)`);
/// - the day is the UTC calendar day of the latest tick time seen (`day`); Indian sessions fit
///   inside one UTC day. A tick of a later day starts a new day: the old close becomes
///   `previousClose` and open, high, low and volume restart;
/// - the last tick is the one with the latest time, ties going to the later log offset; `close`
///   is its price. A late tick (earlier time) of the current day counts towards high, low and
///   volume, and becomes the open if it is the earliest of the day (ties keep the earlier offset);
/// - `previousClose` is the close of the latest earlier day that had ticks, so a late tick of
///   that day can still move it; ticks of any older day change nothing.
/// - `Tick.volume` is one trade's quantity: `dayVolume` sums it over the day.
public struct Quote: Hashable, Sendable {
    /// The instrument.
    public internal(set) var token: UInt32
    /// Decimal places of every price in this quote.
    public internal(set) var decimals: UInt8

    /// The last tick's price (also the day's close).
    public internal(set) var lastPrice: Int64
    /// The last tick's traded quantity (its `Tick.volume`).
    public internal(set) var lastQuantity: UInt64
    /// The last tick's time.
    public internal(set) var lastTime: Timestamp
    /// The last tick's log offset.
    public internal(set) var lastOffset: UInt64
    /// Open interest as the last tick carried it (nil when it had none).
    public internal(set) var openInterest: UInt64?
    /// Best bid and ask as the last tick carried them, in `decimals` (nil when it had none).
    public internal(set) var bid: Int64?
    public internal(set) var ask: Int64?

    /// The UTC day the day fields describe: the day of `lastTime`.
    public internal(set) var day: CalendarDay
    /// The day's first, highest and lowest prices.
    public internal(set) var open: Int64
    public internal(set) var high: Int64
    public internal(set) var low: Int64
    /// Sum of the day's tick quantities.
    public internal(set) var dayVolume: UInt64
    /// Time of the day's earliest tick (the one that set `open`).
    public internal(set) var openTime: Timestamp

    /// The latest earlier day with ticks, its close, and the time of the tick that set it.
    public internal(set) var previousDay: CalendarDay?
    public internal(set) var previousClose: Int64?
    public internal(set) var previousCloseTime: Timestamp?

    /// The day's close: the last price.
    public var close: Int64 { lastPrice }

    /// What `change` is measured against: the previous close, or the day's open on an instrument's first day.
    public var referencePrice: Int64 { previousClose ?? open }

    /// Close minus the reference price, in minor units.
    public var change: Int64 { close &- referencePrice }

    /// `change` as a percentage of the reference price; 0 when the reference is 0.
    public var changePercent: Double {
        let reference = referencePrice
        return reference == 0 ? 0 : Double(change) / Double(reference) * 100
    }

    /// Folds one more tick of this token (see the type comment for the rules).
    public mutating func apply(_ tick: Tick, time: Timestamp, offset: UInt64) {
        let price = tick.price(inDecimals: decimals)
        let tickDay = CalendarDay(containing: time)
        if tickDay == day {
            high = max(high, price)
            low = min(low, price)
            dayVolume = dayVolume.addingSaturating(tick.volume)
            if time < openTime {
                open = price
                openTime = time
            }
            if time >= lastTime { setLast(tick, price: price, time: time, offset: offset) }
        } else if tickDay > day {
            previousDay = day
            previousClose = lastPrice
            previousCloseTime = lastTime
            day = tickDay
            open = price
            high = price
            low = price
            dayVolume = tick.volume
            openTime = time
            setLast(tick, price: price, time: time, offset: offset)
        } else if previousDay.map({ tickDay > $0 }) ?? true {
            // The first tick seen of a day between the previous day and today.
            previousDay = tickDay
            previousClose = price
            previousCloseTime = time
        } else if tickDay == previousDay, let closeTime = previousCloseTime, time >= closeTime {
            previousClose = price
            previousCloseTime = time
        }
    }

    private mutating func setLast(_ tick: Tick, price: Int64, time: Timestamp, offset: UInt64) {
        lastPrice = price
        lastQuantity = tick.volume
        lastTime = time
        lastOffset = offset
        openInterest = tick.openInterest
        bid = tick.bid.map { Tick.rescale($0, from: tick.decimals, to: decimals) }
        ask = tick.ask.map { Tick.rescale($0, from: tick.decimals, to: decimals) }
    }
}

// Outside the type's body, so that the memberwise initializer (used by `load`) stays.
extension Quote {
    /// The quote after a token's first tick.
    public init(tick: Tick, time: Timestamp, offset: UInt64) {
        token = tick.token
        decimals = tick.decimals
        lastPrice = tick.price
        lastQuantity = tick.volume
        lastTime = time
        lastOffset = offset
        openInterest = tick.openInterest
        bid = tick.bid
        ask = tick.ask
        day = CalendarDay(containing: time)
        open = tick.price
        high = tick.price
        low = tick.price
        dayVolume = tick.volume
        openTime = time
    }
}
