/// What every loop of one server shares: configuration, responder, the connection count; lock-guarded, usable from any thread.
final class ServerState: Sendable {
    let configuration: HTTPServer.Configuration
    let responder: any Responder
    private let openConnections = Locked(0)
    private let draining = Locked(false)
    private let lastConnectionID = Locked<UInt64>(0)

    init(configuration: HTTPServer.Configuration, responder: any Responder) {
        self.configuration = configuration
        self.responder = responder
    }

    /// Counts a new connection if the cap allows it; false means answer 503.
    func admitConnection() -> Bool {
        openConnections.withLock { count in
            guard count < configuration.maxConnections else { return false }
            count += 1
            return true
        }
    }

    /// Uncounts a closed connection.
    func releaseConnection() {
        openConnections.withLock { $0 -= 1 }
    }

    /// The number of counted open connections.
    var connectionCount: Int { openConnections.withLock { $0 } }

    /// A new id, unique among this server's connections.
    func makeConnectionID() -> UInt64 {
        lastConnectionID.withLock { id in
            id += 1
            return id
        }
    }

    /// Whether a graceful stop has begun (responses then say `Connection: close`).
    var isDraining: Bool {
        get { draining.withLock { $0 } }
        set { draining.withLock { $0 = newValue } }
    }
}
