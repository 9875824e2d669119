import EventLog

/// What a `/ws/v2` replay reads: the log, and the alert rules of the session's user as they are now.
/// A value of closures, usable from any thread.
struct ReplaySources: Sendable {
    /// A fresh reader of the log, for one replay's own thread.
    var makeReader: @Sendable () throws -> LogReader
    /// The user's live alert rules (latest versions), in ascending alert id.
    var alertRules: @Sendable (_ userID: UInt64) -> [AlertChange]
    /// Counts replays in and out, for `/metrics`.
    var hub: StreamHub
}
