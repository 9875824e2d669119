import EventLog

/// One OHLCV bar as served: prices in minor units with `decimals` places, `volume` the sum of
/// the bar's tick quantities.
public struct Candle: Hashable, Sendable {
    /// The bar's start (UTC, aligned to its resolution).
    public var time: Timestamp
    public var open: Int64
    public var high: Int64
    public var low: Int64
    public var close: Int64
    public var volume: UInt64
    /// Decimal places of the prices (the instrument's scale, see `Tick.price(inDecimals:)`).
    public var decimals: UInt8

    public init(time: Timestamp, open: Int64, high: Int64, low: Int64, close: Int64, volume: UInt64, decimals: UInt8) {
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.decimals = decimals
    }
}
