import EventLog

/// What a `/ws/v2` `replay` message asks for: a stretch of the log, the tokens, the mode of the
/// tick objects and the pace; a value.
struct ReplayRequest: Equatable, Sendable {
    var from: Timestamp?
    var fromOffset: UInt64?
    /// Exclusive, like `GET /replay`'s.
    var to: Timestamp?
    /// Nil replays every token.
    var tokens: [UInt32]?
    var mode: StreamMode = .ltp
    /// How many times faster than it happened; nil is `max`.
    var speed: Double?

    /// The events a live session is sent (ticks and signals) of the asked range and tokens.
    var filter: LogReplay {
        LogReplay(from: from, fromOffset: fromOffset, to: to, tokens: tokens.map(Set.init), types: [.tick, .signalPublished])
    }
}

/// Where a `seek` moves a replay: the first event at or after a time, or an offset.
enum ReplaySeek: Equatable, Sendable {
    case time(Timestamp)
    case offset(UInt64)
}
