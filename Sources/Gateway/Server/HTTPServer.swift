import Dispatch

/// An HTTP/1.1 and WebSocket server on N epoll loops; its methods are thread-safe (lifecycle state is lock-guarded).
public final class HTTPServer: Sendable {
    private enum Lifecycle {
        case idle
        case running(loops: [EventLoop], port: Int)
        case stopped
    }

    /// The configuration the server was made with.
    public let configuration: Configuration
    private let state: ServerState
    private let lifecycle = Locked(Lifecycle.idle)

    /// Makes a server that answers every request through `responder`.
    public init(configuration: Configuration = Configuration(), responder: any Responder) {
        self.configuration = configuration
        state = ServerState(configuration: configuration, responder: responder)
    }

    /// Binds, starts the loops and begins accepting; throws `.addressInUse` naming host and port when taken.
    public func start() throws(GatewayError) {
        try lifecycle.withLock { lifecycle throws(GatewayError) in
            guard case .idle = lifecycle else { throw .alreadyStarted }
            let problems = configuration.problems
            guard problems.isEmpty else { throw .invalidConfiguration(problems) }
            let listener = try Socket.makeListener(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
            var loops: [EventLoop] = []
            do throws(GatewayError) {
                let port = try listener.localPort()
                for index in 0..<max(1, configuration.loopCount) {
                    loops.append(try EventLoop(index: index, tickInterval: configuration.tickInterval))
                }
                for loop in loops { loop.start() }
                try registerAcceptor(listener, on: loops)
                lifecycle = .running(loops: loops, port: port)
            } catch {
                listener.close()
                for loop in loops { loop.submit { $0.beginDraining(until: .now) } }
                throw error
            }
        }
    }

    /// Registers the acceptor on loop 0 and waits for the outcome, so `start()` reports a failure itself.
    private func registerAcceptor(_ listener: Socket, on loops: [EventLoop]) throws(GatewayError) {
        let outcome = Locked<GatewayError?>(nil)
        let done = DispatchSemaphore(value: 0)
        let state = self.state
        loops[0].submit { runtime in
            do throws(GatewayError) {
                try ConnectionAcceptor.start(listener: listener, server: state, loops: loops, runtime: runtime)
            } catch {
                outcome.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        if let error = outcome.withLock({ $0 }) { throw error }
    }

    /// The bound port (useful with port 0), or nil before `start()` and after `stop()`.
    public var port: Int? {
        lifecycle.withLock { lifecycle in
            if case .running(_, let port) = lifecycle { port } else { nil }
        }
    }

    /// The event loops, for layers that want to run work on a connection's thread.
    public var eventLoops: [EventLoop] {
        lifecycle.withLock { lifecycle in
            if case .running(let loops, _) = lifecycle { loops } else { [] }
        }
    }

    /// The number of open client connections (those under the cap).
    public var connectionCount: Int { state.connectionCount }

    /// Stops gracefully: no new connections, in-flight requests finish within `gracePeriod`, WebSockets get 1001,
    /// then whatever is left is closed. Blocks until every loop has exited; call it from outside the loops.
    public func stop(gracePeriod: Duration? = nil) {
        let loops: [EventLoop] = lifecycle.withLock { lifecycle in
            guard case .running(let loops, _) = lifecycle else { return [] }
            lifecycle = .stopped
            return loops
        }
        guard !loops.isEmpty else { return }
        state.isDraining = true
        let deadline = ContinuousClock.now + (gracePeriod ?? configuration.shutdownGracePeriod)
        for loop in loops { loop.submit { $0.beginDraining(until: deadline) } }
        for loop in loops { loop.waitUntilExited() }
    }
}
