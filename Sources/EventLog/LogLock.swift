/// The single-writer lock of a log directory (`tape.lock`), for tools that must keep a writer out
/// while they change the directory, such as `tape restore`. Held until released or deinitialized.
/// Owned by the thread that took it.
public final class LogLock {
    private var file: File?

    /// Creates the directory if needed and takes its writer lock, or throws `LogError.locked`
    /// naming the process that holds it.
    public init(directory: String) throws {
        try File.makeDirectory(directory)
        file = try EventLog.acquireLock(directory)
    }

    /// Lets a writer in again (closing the descriptor drops the `flock`).
    public func release() { file = nil }
}
