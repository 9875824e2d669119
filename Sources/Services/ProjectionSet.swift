import Projections

/// The projections Tape runs, by name: what `tape rebuild` and the rebuild endpoint accept.
public enum ProjectionSet {
    public static let names = ["instruments", "users", "sessions", "quotes", "candles", "signals", "alerts", "idempotency"]

    /// An empty instance of the projection called `name`; nil for a name not in `names`.
    public static func make(_ name: String) -> (any Projection)? {
        switch name {
        case "instruments": InstrumentCatalog()
        case "users": UsersProjection()
        case "sessions": SessionsProjection()
        case "quotes": QuotesProjection()
        case "candles": CandlesProjection()
        case "signals": SignalsProjection()
        case "alerts": AlertsProjection()
        case "idempotency": IdempotencyProjection()
        default: nil
        }
    }

    /// The database every projection of a data directory writes.
    public static func databasePath(_ data: String) -> String { data + "/projections.sqlite" }

    /// Where a zero-downtime rebuild of `name` builds aside (removed when it ends).
    public static func rebuildPath(_ data: String, name: String) -> String { data + "/projections.rebuild-\(name).sqlite" }
}
