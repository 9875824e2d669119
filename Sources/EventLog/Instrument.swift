/// One row of the Kite-style instrument master.
public struct Instrument: Hashable, Sendable {
    /// Kite's `instrument_token`: unique across exchanges, the key everything else uses.
    public var token: UInt32
    public var exchangeToken: UInt32
    public var tradingSymbol: String
    public var name: String
    public var expiry: CalendarDay?
    public var strike: Double
    public var tickSize: Double
    public var lotSize: UInt32
    /// `EQ`, `FUT`, `CE`, `PE` (indices are `EQ` in segment `INDICES`).
    public var instrumentType: String
    public var segment: String
    public var exchange: String

    public init(
        token: UInt32, exchangeToken: UInt32, tradingSymbol: String, name: String,
        expiry: CalendarDay?, strike: Double, tickSize: Double, lotSize: UInt32,
        instrumentType: String, segment: String, exchange: String
    ) {
        self.token = token
        self.exchangeToken = exchangeToken
        self.tradingSymbol = tradingSymbol
        self.name = name
        self.expiry = expiry
        self.strike = strike
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.instrumentType = instrumentType
        self.segment = segment
        self.exchange = exchange
    }

    /// Strikes and tick sizes are below this many currency units (a billion). Imports and the
    /// instrument endpoints refuse larger ones; readers of a log written before that rule (or
    /// damaged) treat a larger one as absent instead of computing with it.
    public static let amountLimit = 1e9

    /// Whether a strike or tick size is one to compute with: positive and below `amountLimit`
    /// (false for NaN and infinities too).
    public static func isUsableAmount(_ value: Double) -> Bool { value > 0 && value < amountLimit }
}
