/// Where live ticks come from.
public enum FeedMode: String, CaseIterable, Sendable {
    /// A seeded random walk over the catalog (demo mode's default).
    case simulated
    /// No feed: ticks arrive only through ingest.
    case none
}
