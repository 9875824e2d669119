import Foundation

/// A value guarded by a lock; `@unchecked Sendable` is sound because every access goes through `lock`.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Wraps an initial value.
    init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value and returns its result.
    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
