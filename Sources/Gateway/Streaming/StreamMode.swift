/// How much of each tick a session wants (the KiteTicker modes; v2 uses the same names).
public enum StreamMode: String, Sendable, CaseIterable {
    /// Last price, volume and time.
    case ltp
    /// Adds the day's open, high, low, close, change and volume.
    case quote
    /// Adds open interest, bid and ask.
    case full
}
