/// Paces a replay by event time: an event is due when its time, less the first event's and divided
/// by the speed, has passed on the wall clock since the pace started. A value; `nil` speed never waits.
///
/// Shared by `tape replay` and `/ws/v2` replay sessions so that "speed 10" means the same to both.
public struct ReplayPace: Sendable {
    /// How many times faster than it happened; nil is as fast as the reader takes it.
    public let speed: Double?
    private var origin: (wall: ContinuousClock.Instant, event: Timestamp)?

    public init(speed: Double?) { self.speed = speed }

    /// How long to wait before sending an event of `time`; zero when it is due (or the speed is max).
    /// The first event after a `restart()` is due at once and sets the origin.
    public mutating func delay(before time: Timestamp, now: ContinuousClock.Instant = .now) -> Duration {
        guard let speed else { return .zero }
        guard let (wall, event) = origin else {
            origin = (now, time)
            return .zero
        }
        // In Double: two event times far apart (a hostile or damaged record) must not overflow.
        let wait = (Double(time.rawValue) - Double(event.rawValue)) / speed
        let due = wall + .nanoseconds(Int64(max(-9e18, min(9e18, wait))))
        return max(.zero, due - now)
    }

    /// Forgets the origin: the next event is due at once (after a pause, or a seek).
    public mutating func restart() { origin = nil }
}
