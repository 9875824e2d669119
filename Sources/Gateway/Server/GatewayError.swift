import Glibc

/// A failure of the gateway's server machinery (sockets, event loops), carrying what an operator needs to act; usable from any thread.
public enum GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed; `operation` names the call and what it was for, `errno` is the C error number.
    case systemCall(operation: String, errno: Int32)
    /// Binding failed because another process holds the address (EADDRINUSE).
    case addressInUse(host: String, port: Int)
    /// The host could not be resolved to a listening address.
    case invalidAddress(host: String, port: Int, reason: String)
    /// The configuration has problems; each names the setting and how to fix it, all listed at once.
    case invalidConfiguration([String])
    /// `start()` was called on a server that is already running or has stopped.
    case alreadyStarted

    /// A sentence naming the problem and what to change.
    public var description: String {
        switch self {
        case .systemCall(let operation, let code):
            "\(operation) failed: \(String(cString: strerror(code))) (errno \(code))."
        case .addressInUse(let host, let port):
            "Cannot listen on \(host):\(port): the address is already in use. Stop the other process or change the `port` setting (0 picks a free port)."
        case .invalidAddress(let host, let port, let reason):
            "Cannot listen on \(host):\(port): \(reason). Check the `host` setting."
        case .invalidConfiguration(let problems):
            "The server configuration is invalid:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        case .alreadyStarted:
            "The server was already started; make a new HTTPServer to start again."
        }
    }
}
