import EventLog
import Projections

/// `/ws/v2` (JSON) and the session bookkeeping around the streaming hub.
extension TapeServer {
    func registerStreaming(on router: inout Router) {
        // A missing or wrong key is refused in the handshake with 401, before any upgrade.
        let auth = AuthMiddleware { [unowned self] request throws(HTTPError) in try self.authenticate(request) }
        router.webSocket("/ws/v2", middleware: [auth]) { [unowned self] _, context in
            let catalog = self.catalog
            return V2SessionHandler(hub: self.hub, userID: Self.userID(of: context)) { token in
                catalog.instrument(token: token)?.isActive ?? false
            }
        }
    }

    /// The user id `authenticate` put in the context (`user:<id>`); nil for the admin key.
    static func userID(of context: RequestContext) -> UInt64? {
        guard let principal = context.principal, principal.hasPrefix("user:") else { return nil }
        return UInt64(principal.dropFirst(5))
    }

    /// Sessions the log still shows open belonged to a previous run: close them in the log.
    func closeOrphanedSessions() {
        let orphans = sessions.snapshot.sessions.keys.sorted()
        guard !orphans.isEmpty else { return }
        for id in orphans { journal.submit(.sessionClosed(SessionClosed(sessionID: id, reason: "server restarted"))) }
        journal.flush()
    }
}
