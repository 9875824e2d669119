import Glibc

/// A mutex with a condition variable, for threads that wait for a value to change.
/// Safe to share between threads: every access to the guarded state happens under the mutex.
public final class Monitor<State>: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var state: State

    public init(_ state: State) {
        self.state = state
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(&condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Runs `body` with exclusive access to the state.
    @inline(__always) public func withLock<T, E: Error>(_ body: (inout State) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&state)
    }

    /// Changes the state and wakes every waiter.
    public func update<T>(_ body: (inout State) -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer {
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
        }
        return body(&state)
    }

    /// Waits until `predicate` holds or `timeout` passes; returns `body`'s answer either way.
    public func wait<T>(until predicate: (State) -> Bool, timeout: Duration?, then body: (inout State) -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        if let timeout {
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let (seconds, attoseconds) = timeout.components
            let nanos = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
            deadline.tv_sec += Int(seconds) + nanos / 1_000_000_000
            deadline.tv_nsec = nanos % 1_000_000_000
            while !predicate(state) {
                if pthread_cond_timedwait(&condition, &mutex, &deadline) == ETIMEDOUT { break }
            }
        } else {
            while !predicate(state) { pthread_cond_wait(&condition, &mutex) }
        }
        return body(&state)
    }
}
