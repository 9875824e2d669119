/// One page of catalog results.
public struct CatalogPage: Hashable, Sendable {
    /// Matches in catalog order (trading symbol, then token).
    public var instruments: [InstrumentRecord]
    /// How many instruments match the filter in this page's snapshot, over all pages.
    public var total: Int
    /// The snapshot the page was read from: the next log offset it had not applied.
    public var asOfOffset: UInt64
    /// Pass to get the next page; nil on the last page.
    public var nextCursor: String?

    public init(instruments: [InstrumentRecord], total: Int, asOfOffset: UInt64, nextCursor: String?) {
        self.instruments = instruments
        self.total = total
        self.asOfOffset = asOfOffset
        self.nextCursor = nextCursor
    }
}
