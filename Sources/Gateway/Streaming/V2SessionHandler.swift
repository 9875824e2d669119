import EventLog

/// One `/ws/v2` connection: a session with its own subscriptions, speaking JSON.
///
/// Server messages: `subscribed`, `unsubscribed`, `snapshot` (the latest tick of each newly
/// subscribed token, before any later tick), `ticks` (from the hub), `pong`, and
/// `{"type":"error","code","message"}` for bad messages — the session stays open.
/// Threads: called on its connection's event loop; the hub sends ticks from its own thread.
final class V2SessionHandler: WebSocketHandler, @unchecked Sendable {
    private let hub: StreamHub
    private let userID: UInt64?
    private let isKnownToken: @Sendable (UInt32) -> Bool
    private var sessionID: UInt64?

    init(hub: StreamHub, userID: UInt64?, isKnownToken: @escaping @Sendable (UInt32) -> Bool) {
        self.hub = hub
        self.userID = userID
        self.isKnownToken = isKnownToken
    }

    func onOpen(_ socket: WebSocket) {
        let id = hub.open(socket: socket, userID: userID, protocolName: "v2", encoding: V2Encoding())
        sessionID = id
        send(socket) { j in j.key("type"); j.value("welcome"); j.key("session_id"); j.value(id) }
    }

    func onText(_ text: String, socket: WebSocket) {
        guard let sessionID else { return }
        switch V2Request.parse(text) {
        case .failure(let failure):
            sendError(failure.code, failure.message, to: socket)
        case .success(.ping):
            send(socket) { j in j.key("type"); j.value("pong") }
        case .success(.subscribe(let tokens, let mode)):
            let unknown = tokens.filter { !isKnownToken($0) }
            let known = tokens.filter(isKnownToken)
            if !unknown.isEmpty {
                sendError("unknown_token", "not in the catalog: " + unknown.prefix(20).map(String.init).joined(separator: ", "), to: socket)
            }
            guard !known.isEmpty else { return }
            hub.subscribe(sessionID: sessionID, tokens: known, mode: mode) { outcome, snapshot in
                // Runs under the hub's lock: these go out before any later tick of these tokens.
                if !outcome.overLimit.isEmpty {
                    self.sendError("too_many_tokens", "a session may hold \(self.hub.settings.maxTokensPerSession) tokens; \(outcome.overLimit.count) not subscribed", to: socket)
                }
                guard !outcome.subscribed.isEmpty else { return }
                self.send(socket) { j in
                    j.key("type"); j.value("subscribed")
                    j.key("tokens"); j.beginArray(); for token in outcome.subscribed { j.value(token) }; j.endArray()
                    j.key("mode"); j.value(mode.rawValue)
                }
                guard !snapshot.isEmpty else { return }
                self.send(socket) { j in
                    j.key("type"); j.value("snapshot")
                    j.key("data"); j.beginArray(); for update in snapshot { V2Encoding.write(update, mode: mode, to: &j) }; j.endArray()
                }
            }
        case .success(.unsubscribe(let tokens)):
            let removed = hub.unsubscribe(sessionID: sessionID, tokens: tokens)
            send(socket) { j in
                j.key("type"); j.value("unsubscribed")
                j.key("tokens"); j.beginArray(); for token in removed { j.value(token) }; j.endArray()
            }
        }
    }

    func onBinary(_ data: [UInt8], socket: WebSocket) {
        sendError("unsupported", "send JSON text messages, not binary", to: socket)
    }

    func onClose(code: WebSocketCloseCode, reason: String) {
        guard let sessionID else { return }
        hub.close(sessionID: sessionID, reason: "closed \(code.rawValue)" + (reason.isEmpty ? "" : ": \(reason)"))
    }

    private func sendError(_ code: String, _ message: String, to socket: WebSocket) {
        send(socket) { j in
            j.key("type"); j.value("error"); j.key("code"); j.value(code); j.key("message"); j.value(message)
        }
    }

    private func send(_ socket: WebSocket, _ fields: (inout JSONText) -> Void) {
        var j = JSONText()
        j.beginObject()
        fields(&j)
        j.endObject()
        _ = socket.send(StreamMessage(isBinary: false, bytes: j.bytes))
    }
}
