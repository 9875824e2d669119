import EventLog

/// One row of the catalog: the instrument as last listed or updated, plus its lifecycle.
public struct InstrumentRecord: Hashable, Sendable {
    public var instrument: Instrument
    /// False once delisted; a later listing makes it active again.
    public var isActive: Bool
    /// Offset of the listing that (last) made it active.
    public var listedOffset: UInt64
    public var listedTime: Timestamp
    /// Time of the last listing or update that changed its fields.
    public var updatedTime: Timestamp
    /// Set while delisted; cleared by a re-listing.
    public var delistedTime: Timestamp?

    public init(instrument: Instrument, isActive: Bool, listedOffset: UInt64, listedTime: Timestamp,
                updatedTime: Timestamp, delistedTime: Timestamp?) {
        self.instrument = instrument
        self.isActive = isActive
        self.listedOffset = listedOffset
        self.listedTime = listedTime
        self.updatedTime = updatedTime
        self.delistedTime = delistedTime
    }

    public var token: UInt32 { instrument.token }

    /// Catalog order: trading symbol, then token (symbols repeat across exchanges).
    @inline(__always)
    static func precedes(_ a: InstrumentRecord, _ b: InstrumentRecord) -> Bool {
        let x = a.instrument.tradingSymbol, y = b.instrument.tradingSymbol
        return x == y ? a.instrument.token < b.instrument.token : x < y
    }
}
