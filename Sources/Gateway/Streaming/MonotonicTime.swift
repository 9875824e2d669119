import Glibc

/// Monotonic time as plain nanoseconds. The hub stamps and compares times for every delivery;
/// `ContinuousClock.Instant` is a resilient type whose every copy goes through a function call,
/// which showed up at millions of deliveries a second.
enum MonotonicTime {
    /// Nanoseconds since an arbitrary fixed point (boot).
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// A non-negative duration in nanoseconds.
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}
