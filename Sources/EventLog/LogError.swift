import Glibc

/// Everything that can go wrong in the log, with what a user needs to act on it.
public enum LogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed.
    case system(operation: String, path: String, errno: Int32)
    /// Another process holds the writer lock.
    case locked(directory: String, holderPID: Int32?)
    /// Bytes that are not a valid batch where a batch must be; never skipped.
    case corrupt(segment: String, position: Int64, offsets: ClosedRange<UInt64>?, reason: String)
    /// An offset before the first retained segment.
    case offsetDeleted(requested: UInt64, firstRetained: UInt64)
    /// The log was closed, or an earlier write failed and the log refuses further appends.
    case closed
    case invalidArgument(String)

    /// A failed system call (a full disk, say) rather than bad data or a closed log.
    public var isSystemCallFailure: Bool {
        if case .system = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .system(let op, let path, let code):
            return "\(op) \(path): \(String(cString: strerror(code))) (errno \(code))"
        case .locked(let dir, let pid):
            let holder = pid.map { "process \($0)" } ?? "another process"
            return "log directory \(dir) is locked by \(holder): only one writer may append to a log; stop it or use another --data directory"
        case .corrupt(let segment, let position, let offsets, let reason):
            let range = offsets.map { " (offsets \($0.lowerBound)...\($0.upperBound))" } ?? ""
            return "corrupt log: \(segment) at byte \(position)\(range): \(reason)"
        case .offsetDeleted(let requested, let first):
            return "offset \(requested) was removed by retention; the log now starts at \(first)"
        case .closed:
            return "the log is closed"
        case .invalidArgument(let message):
            return message
        }
    }
}
