import EventLog

/// One `/ws/v2` connection: a session with its own subscriptions, speaking JSON.
///
/// Server messages: `subscribed`, `unsubscribed`, `snapshot` (the latest tick of each newly
/// subscribed token, before any later tick), `ticks` (from the hub), `pong`, and
/// `{"type":"error","code","message"}` for bad messages — the session stays open.
///
/// A `replay` message turns the session into a replay of history for good: it leaves the hub (no more
/// live data), a `ReplaySession` streams the range, and `pause`, `resume`, `seek` steer it; `subscribe`
/// and `unsubscribe` are refused from then on (the replay's `tokens` say what it carries).
/// Threads: called on its connection's event loop; the hub and the replay send from their own threads.
final class V2SessionHandler: WebSocketHandler, @unchecked Sendable {
    private let hub: StreamHub
    private let userID: UInt64?
    private let isKnownToken: @Sendable (UInt32) -> Bool
    private let replaySources: ReplaySources
    private var sessionID: UInt64?
    /// Set once the session switched to replay.
    private var replay: ReplaySession?

    init(hub: StreamHub, userID: UInt64?, isKnownToken: @escaping @Sendable (UInt32) -> Bool, replaySources: ReplaySources) {
        self.hub = hub
        self.userID = userID
        self.isKnownToken = isKnownToken
        self.replaySources = replaySources
    }

    func onOpen(_ socket: WebSocket) {
        // The welcome is queued under the hub's lock, so that no alert pushed at once can overtake it.
        sessionID = hub.open(socket: socket, userID: userID, protocolName: "v2", encoding: V2Encoding()) { id in
            self.send(socket) { j in j.key("type"); j.value("welcome"); j.key("session_id"); j.value(id) }
        }
    }

    func onText(_ text: String, socket: WebSocket) {
        guard let sessionID else { return }
        switch V2Request.parse(text) {
        case .failure(let failure):
            sendError(failure.code, failure.message, to: socket)
        case .success(.ping):
            send(socket) { j in j.key("type"); j.value("pong") }
        case .success(.replay(let request)):
            startReplay(request, sessionID: sessionID, socket: socket)
        case .success(.pause):
            steerReplay(socket) { $0.pause() }
        case .success(.resume):
            steerReplay(socket) { $0.resume() }
        case .success(.seek(let target)):
            steerReplay(socket) { $0.seek(target); return nil }
        case .success(.subscribe) where replay != nil, .success(.unsubscribe) where replay != nil:
            sendError("replay_session", "this session replays history: its tokens are the replay's; open another connection for live data", to: socket)
        case .success(.subscribe(let tokens, let mode)):
            let requested = RequestedTokens(tokens, isKnown: isKnownToken)
            if let message = requested.unknownMessage { sendError("unknown_token", message, to: socket) }
            guard !requested.known.isEmpty else { return }
            hub.subscribe(sessionID: sessionID, tokens: requested.known, mode: mode) { outcome, snapshot in
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
        replay?.stop()
        guard let sessionID else { return }
        hub.close(sessionID: sessionID, reason: "closed \(code.rawValue)" + (reason.isEmpty ? "" : ": \(reason)"))
    }

    /// Leaves the hub (the live session ends in the log with reason "replay") and starts the replay thread.
    private func startReplay(_ request: ReplayRequest, sessionID: UInt64, socket: WebSocket) {
        guard replay == nil else {
            return sendError("replay_active", "this session is already replaying: seek within it, or open another connection for another range", to: socket)
        }
        let limit = hub.settings.maxTokensPerSession
        if let tokens = request.tokens, StreamHub.unique(tokens).count > limit {
            return sendError("too_many_tokens", "a replay may name \(limit) tokens; leave tokens out to replay every one", to: socket)
        }
        hub.close(sessionID: sessionID, reason: "replay")
        replay = ReplaySession(request: request, socket: socket, userID: userID, sources: replaySources)
    }

    /// Passes a pause, resume or seek to the replay; its refusal, or the lack of a replay, is an error message.
    private func steerReplay(_ socket: WebSocket, _ command: (ReplaySession) -> V2Request.Failure?) {
        guard let replay else {
            return sendError("not_replaying", "pause, resume and seek steer a replay: send {\"action\":\"replay\",…} first", to: socket)
        }
        if let failure = command(replay) { sendError(failure.code, failure.message, to: socket) }
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
