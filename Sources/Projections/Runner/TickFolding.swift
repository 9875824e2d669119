import EventLog

/// A projection whose fold of a tick needs only the tick, its time and its offset, so a
/// rebuild can hand it ticks decoded straight from the record bytes, with no `Event` built:
/// ticks are nearly all of a log, and building and copying an `Event` for each costs more
/// than folding it. `apply(_ entry:)` of a tick must do exactly what this does.
public protocol TickFolding: Projection {
    /// Folds one tick; called on the runner's thread like `apply`.
    func apply(_ tick: Tick, time: Timestamp, offset: UInt64)
}
