/// The values one KiteTicker packet carries for an instrument, in the units the official clients decode to;
/// fields a mode does not carry stay zero. A value type, usable from any thread.
public struct KiteQuote: Hashable, Sendable {
    /// Depth levels per side in a full packet.
    public static let depthLevels = 5

    public var token: UInt32
    /// Prices are in rupees (or the segment's currency unit), as `KiteSegment.priceDivisor` scales them.
    public var lastPrice: Double
    public var lastQuantity: UInt32
    public var averagePrice: Double
    /// Cumulative volume traded today.
    public var volume: UInt32
    /// Total quantity waiting on the buy side.
    public var buyQuantity: UInt32
    /// Total quantity waiting on the sell side.
    public var sellQuantity: UInt32
    public var open: Double
    public var high: Double
    public var low: Double
    /// The previous session's close, which `change` is measured from.
    public var close: Double
    /// Unix seconds of the last trade.
    public var lastTradeTime: UInt32
    /// Unix seconds the exchange stamped on this update.
    public var exchangeTimestamp: UInt32
    public var openInterest: UInt32
    public var openInterestDayHigh: UInt32
    public var openInterestDayLow: UInt32
    /// Best bids first, at most `depthLevels`; a full packet fills missing levels with zeros.
    public var bids: [KiteDepthEntry]
    /// Best offers first, at most `depthLevels`; a full packet fills missing levels with zeros.
    public var asks: [KiteDepthEntry]

    /// Makes a quote; every field but the token defaults to zero.
    public init(token: UInt32, lastPrice: Double = 0, lastQuantity: UInt32 = 0, averagePrice: Double = 0,
                volume: UInt32 = 0, buyQuantity: UInt32 = 0, sellQuantity: UInt32 = 0,
                open: Double = 0, high: Double = 0, low: Double = 0, close: Double = 0,
                lastTradeTime: UInt32 = 0, exchangeTimestamp: UInt32 = 0,
                openInterest: UInt32 = 0, openInterestDayHigh: UInt32 = 0, openInterestDayLow: UInt32 = 0,
                bids: [KiteDepthEntry] = [], asks: [KiteDepthEntry] = []) {
        self.token = token
        self.lastPrice = lastPrice
        self.lastQuantity = lastQuantity
        self.averagePrice = averagePrice
        self.volume = volume
        self.buyQuantity = buyQuantity
        self.sellQuantity = sellQuantity
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.lastTradeTime = lastTradeTime
        self.exchangeTimestamp = exchangeTimestamp
        self.openInterest = openInterest
        self.openInterestDayHigh = openInterestDayHigh
        self.openInterestDayLow = openInterestDayLow
        self.bids = bids
        self.asks = asks
    }

    /// The segment the token belongs to, which sets the price divisor and the packet layout.
    public var segment: KiteSegment { KiteSegment(token: token) }

    /// The official Python client's `change`: percent from the close, 0 when the close is 0.
    public var changePercent: Double { close == 0 ? 0 : (lastPrice - close) * 100 / close }

    /// The official Go client's `NetChange` (and the mock ticks' `change`): last price minus close.
    public var netChange: Double { lastPrice - close }
}
