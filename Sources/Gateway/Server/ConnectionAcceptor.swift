import Glibc

/// Accepts connections on the listening socket and hands them to the loops in turn; owned by loop 0's thread.
final class ConnectionAcceptor: EventSource {
    let isConnection = false
    private let listener: Socket
    private let server: ServerState
    private let loops: [EventLoop]
    private let runtime: EventLoopRuntime
    private var registrationID: UInt64 = 0
    private var nextLoop = 0
    private var isPaused = false
    private var isClosed = false

    private init(listener: Socket, server: ServerState, loops: [EventLoop], runtime: EventLoopRuntime) {
        self.listener = listener
        self.server = server
        self.loops = loops
        self.runtime = runtime
    }

    /// Registers an acceptor for the listener on this runtime's loop.
    static func start(listener: Socket, server: ServerState, loops: [EventLoop], runtime: EventLoopRuntime) throws(GatewayError) {
        let acceptor = ConnectionAcceptor(listener: listener, server: server, loops: loops, runtime: runtime)
        acceptor.registrationID = try runtime.register(acceptor, descriptor: listener.fileDescriptor, interest: .readable)
    }

    func handle(_ readiness: Readiness) {
        // A bounded batch keeps one burst of connections from starving the connections already on this loop.
        for _ in 0..<64 {
            let accepted: Socket?
            do throws(GatewayError) {
                accepted = try listener.accept()
            } catch {
                // A connection that died while queued (ECONNABORTED and friends) is skipped. Running out of
                // descriptors or memory leaves the listener readable; pause until the next tick instead of spinning.
                guard case .systemCall(_, let code) = error, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(code) else { continue }
                isPaused = true
                runtime.update(registrationID, descriptor: listener.fileDescriptor, interest: [])
                return
            }
            guard let socket = accepted else { return }
            let connectionID = server.makeConnectionID()
            guard server.admitConnection() else {
                let error = HTTPError(.serviceUnavailable, code: "too_many_connections",
                                      message: "The server is at its connection limit; retry shortly.",
                                      headers: ["Retry-After": String(server.configuration.retryAfterSeconds)])
                HTTPConnection.open(socket, id: connectionID, server: server, runtime: runtime, rejection: error)
                continue
            }
            let loop = loops[nextLoop]
            nextLoop = (nextLoop + 1) % loops.count
            let server = self.server
            loop.submit { runtime in HTTPConnection.open(socket, id: connectionID, server: server, runtime: runtime, rejection: nil) }
        }
    }

    func tick() {
        guard isPaused, !isClosed else { return }
        isPaused = false
        runtime.update(registrationID, descriptor: listener.fileDescriptor, interest: .readable)
    }

    func beginDraining() {
        forceClose()
    }

    func forceClose() {
        guard !isClosed else { return }
        isClosed = true
        runtime.deregister(registrationID, descriptor: listener.fileDescriptor)
        listener.close()
    }
}
