import Synchronization

/// A value guarded by a lock; a class so it can be shared, Sendable because every access goes through `mutex`.
///
/// `Mutex` keeps the lock word inline: making one costs a single allocation, where an `NSLock` added an object
/// and a separately allocated pthread mutex, which mattered for the `ReplyBox` every request makes.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    /// Wraps an initial value.
    init(_ value: Value) { mutex = Mutex(value) }

    /// Runs `body` with exclusive access to the value and returns its result.
    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        try mutex.withLock { (value: inout sending Value) throws(Failure) -> sending Result in try body(&value) }
    }
}
