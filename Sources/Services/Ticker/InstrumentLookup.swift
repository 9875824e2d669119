import Projections

/// Where tick validation looks tokens up: a catalog snapshot in the server, a dictionary in tests.
public protocol InstrumentLookup {
    /// The instrument with `token`, active or not; nil if the catalog never listed it.
    func instrument(token: UInt32) -> InstrumentRecord?
}

extension CatalogSnapshot: InstrumentLookup {}

extension Dictionary: InstrumentLookup where Key == UInt32, Value == InstrumentRecord {
    /// The record stored under `token`.
    public func instrument(token: UInt32) -> InstrumentRecord? { self[token] }
}
