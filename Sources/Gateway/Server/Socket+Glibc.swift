import CSystem
import Glibc

/// The outcome of a non-blocking system call: done, or "try again when ready" as a value rather than an error;
/// a plain value used on the calling thread.
enum IOResult<Value> {
    /// The call completed with this value.
    case completed(Value)
    /// The call would block (EAGAIN / EWOULDBLOCK); wait for readiness and retry.
    case wouldBlock
}

/// Runs a system call that returns -1 on failure: retries EINTR, turns EAGAIN into `.wouldBlock`,
/// and throws any other errno together with the operation's name (the pattern SwiftNIO uses).
func systemCall<Result: BinaryInteger>(_ operation: @autoclosure () -> String, _ call: () -> Result) throws(GatewayError) -> IOResult<Result> {
    while true {
        let result = call()
        if result != -1 { return .completed(result) }
        let code = errno
        if code == EINTR { continue }
        if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
        throw .systemCall(operation: operation(), errno: code)
    }
}

/// Runs a system call that must not block (setup calls on blocking or non-blocking descriptors alike).
@discardableResult
func blockingSystemCall<Result: BinaryInteger>(_ operation: @autoclosure () -> String, _ call: () -> Result) throws(GatewayError) -> Result {
    switch try systemCall(operation(), call) {
    case .completed(let value): return value
    case .wouldBlock: throw .systemCall(operation: operation(), errno: EAGAIN)
    }
}

extension Socket {
    /// Makes a non-blocking listening TCP socket with SO_REUSEADDR bound to host and port.
    static func makeListener(host: String, port: Int, backlog: Int32) throws(GatewayError) -> Socket {
        try withAddress(host: host, port: port, isPassive: true) { info throws(GatewayError) in
            try makeListener(at: info, host: host, port: port, backlog: backlog)
        }
    }

    /// Resolves host and port (numeric port, any family) and runs `body` with the first address.
    private static func withAddress<Result>(host: String, port: Int, isPassive: Bool,
                                            _ body: (addrinfo) throws(GatewayError) -> Result) throws(GatewayError) -> Result {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = (isPassive ? AI_PASSIVE : 0) | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let info = list else {
            throw .invalidAddress(host: host, port: port, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        return try body(info.pointee)
    }

    private static func makeListener(at info: addrinfo, host: String, port: Int, backlog: Int32) throws(GatewayError) -> Socket {
        let descriptor = try blockingSystemCall("socket() for listening on \(host):\(port)") {
            socket(info.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let listener = Socket(fileDescriptor: descriptor)
        do throws(GatewayError) {
            // SO_REUSEADDR lets a restarted server bind while old connections sit in TIME_WAIT.
            try listener.setOption(SOL_SOCKET, SO_REUSEADDR, 1, name: "SO_REUSEADDR")
            do throws(GatewayError) {
                try blockingSystemCall("bind() to \(host):\(port)") { bind(descriptor, info.ai_addr, info.ai_addrlen) }
            } catch {
                // EADDRINUSE is the one bind failure an operator fixes by configuration, so it gets its own case.
                if case .systemCall(_, EADDRINUSE) = error { throw .addressInUse(host: host, port: port) }
                throw error
            }
            try blockingSystemCall("listen() on \(host):\(port)") { listen(descriptor, backlog) }
        } catch {
            listener.close()
            throw error
        }
        return listener
    }

    /// Connects a blocking TCP socket to host and port (for clients such as tests and tools).
    static func makeConnected(host: String, port: Int) throws(GatewayError) -> Socket {
        try withAddress(host: host, port: port, isPassive: false) { info throws(GatewayError) in
            try makeConnected(to: info, host: host, port: port)
        }
    }

    private static func makeConnected(to info: addrinfo, host: String, port: Int) throws(GatewayError) -> Socket {
        let descriptor = try blockingSystemCall("socket() for connecting to \(host):\(port)") {
            socket(info.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let client = Socket(fileDescriptor: descriptor)
        do throws(GatewayError) {
            try blockingSystemCall("connect() to \(host):\(port)") { connect(descriptor, info.ai_addr, info.ai_addrlen) }
        } catch {
            client.close()
            throw error
        }
        return client
    }

    /// Accepts one pending connection as a non-blocking socket, or nil when none is waiting.
    func accept() throws(GatewayError) -> Socket? {
        switch try systemCall("accept4() on the listening socket", { accept4(fileDescriptor, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)) }) {
        case .completed(let descriptor): return Socket(fileDescriptor: descriptor)
        case .wouldBlock: return nil
        }
    }

    /// Reads into a buffer: the byte count (0 means the peer closed its side), or `.wouldBlock`.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(GatewayError) -> IOResult<Int> {
        try systemCall("read() from socket \(fileDescriptor)") { Glibc.read(fileDescriptor, buffer.baseAddress, buffer.count) }
    }

    /// Writes from a buffer: the byte count written, or `.wouldBlock`; never raises SIGPIPE.
    func write(_ buffer: UnsafeRawBufferPointer) throws(GatewayError) -> IOResult<Int> {
        try systemCall("send() to socket \(fileDescriptor)") { send(fileDescriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Writes all bytes on a blocking socket (for clients such as tests).
    func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let result = try bytes.withUnsafeBytes { buffer in try write(UnsafeRawBufferPointer(rebasing: buffer[offset...])) }
            guard case .completed(let count) = result else { continue }
            offset += count
        }
    }

    /// Ends the sending direction so the peer reads end-of-file while this side can still read (RFC 9112 §9.6).
    func shutdownWrite() {
        _ = Glibc.shutdown(fileDescriptor, Int32(SHUT_WR))
    }

    /// Closes the descriptor; errors are ignored because nothing useful can follow a failed close (close(2) NOTES).
    func close() {
        _ = Glibc.close(fileDescriptor)
    }

    /// Sets an integer socket option.
    func setOption(_ level: Int32, _ option: Int32, _ value: Int32, name: String) throws(GatewayError) {
        var value = value
        try blockingSystemCall("setsockopt(\(name)) on socket \(fileDescriptor)") {
            setsockopt(fileDescriptor, level, option, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Disables Nagle's algorithm so small responses and frames leave at once.
    func setNoDelay() {
        try? setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1, name: "TCP_NODELAY")
    }

    /// Bounds how long a blocking read waits (SO_RCVTIMEO), for clients that must not hang.
    func setReceiveTimeout(seconds: Int) throws(GatewayError) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        try blockingSystemCall("setsockopt(SO_RCVTIMEO) on socket \(fileDescriptor)") {
            setsockopt(fileDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// The local port the socket is bound to (what port 0 resolved to).
    func localPort() throws(GatewayError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { pointer throws(GatewayError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(GatewayError) in
                try blockingSystemCall("getsockname() on socket \(fileDescriptor)") { getsockname(fileDescriptor, address, &length) }
            }
        }
        return Self.port(of: storage)
    }

    /// The peer's address as `ip:port` (`[ip]:port` for IPv6), or "unknown" when it cannot be read.
    func remoteAddress() -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fileDescriptor, $0, &length) }
        }
        guard status == 0 else { return "unknown" }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = Int32(storage.ss_family)
        withUnsafePointer(to: &storage) { pointer in
            if family == AF_INET {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var ip = address.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &ip, &text, socklen_t(text.count))
                }
            } else if family == AF_INET6 {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var ip = address.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count))
                }
            }
        }
        let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // RFC 3986 §3.2.2: an IPv6 literal is bracketed so its colons are not read as the port separator.
        return family == AF_INET6 ? "[\(host)]:\(Self.port(of: storage))" : "\(host):\(Self.port(of: storage))"
    }

    private static func port(of storage: sockaddr_storage) -> Int {
        var storage = storage
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { pointer in
            switch family {
            case AF_INET: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            case AF_INET6: pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            default: 0
            }
        }
    }
}
