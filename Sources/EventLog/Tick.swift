/// One trade or quote update of an instrument. Prices are integers in minor units:
/// the value is `price / 10^decimals` (paise: decimals 2; currency futures: 4).
public struct Tick: Hashable, Sendable {
    public var token: UInt32
    public var price: Int64
    /// Decimal places of `price`, `bid` and `ask`; at most `Tick.maxDecimals`.
    public var decimals: UInt8
    /// Quantity traded in this tick (not the cumulative day volume).
    public var volume: UInt64
    public var openInterest: UInt64?
    public var bid: Int64?
    public var ask: Int64?

    public static let maxDecimals: UInt8 = 7

    public init(token: UInt32, price: Int64, decimals: UInt8 = 2, volume: UInt64,
                openInterest: UInt64? = nil, bid: Int64? = nil, ask: Int64? = nil) {
        self.token = token
        self.price = price
        self.decimals = decimals
        self.volume = volume
        self.openInterest = openInterest
        self.bid = bid
        self.ask = ask
    }

    /// The price in currency units (for display and JSON; arithmetic stays in minor units).
    public var priceValue: Double { Double(price) / Tick.scale(decimals) }

    /// `10^decimals` as a Double.
    public static func scale(_ decimals: UInt8) -> Double {
        var s = 1.0
        for _ in 0..<decimals { s *= 10 }
        return s
    }
}
