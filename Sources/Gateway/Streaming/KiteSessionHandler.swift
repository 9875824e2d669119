import EventLog

/// One `/ws/kite` connection: the KiteTicker protocol over a hub session.
///
/// Text messages `subscribe` (in `quote` mode, as Kite does), `unsubscribe` and `mode`; binary
/// tick messages; `{"type":"error","data":…}` text frames for what cannot be done.
/// Threads: called on its connection's event loop; the hub sends ticks from its own thread.
final class KiteSessionHandler: WebSocketHandler, @unchecked Sendable {
    private let hub: StreamHub
    private let userID: UInt64?
    private let isKnownToken: @Sendable (UInt32) -> Bool
    private var sessionID: UInt64?
    private let encoding = KiteEncoding()

    init(hub: StreamHub, userID: UInt64?, isKnownToken: @escaping @Sendable (UInt32) -> Bool) {
        self.hub = hub
        self.userID = userID
        self.isKnownToken = isKnownToken
    }

    func onOpen(_ socket: WebSocket) {
        sessionID = hub.open(socket: socket, userID: userID, protocolName: "kite", encoding: encoding)
    }

    func onText(_ text: String, socket: WebSocket) {
        guard let sessionID else { return }
        let message: KiteClientMessage
        do {
            message = try KiteClientMessage(parsing: text)
        } catch {
            sendError(error.description, to: socket)
            return
        }
        switch message {
        case .subscribe(let tokens):
            subscribe(tokens, mode: .quote, sessionID: sessionID, socket: socket)
        case .unsubscribe(let tokens):
            hub.unsubscribe(sessionID: sessionID, tokens: tokens)
        case .mode(let mode, let tokens):
            // KiteTicker sends `mode` right after `subscribe`; a token not yet subscribed is subscribed in that mode.
            let changed = Set(hub.setMode(sessionID: sessionID, tokens: tokens, mode: mode))
            let rest = tokens.filter { !changed.contains($0) }
            if !rest.isEmpty { subscribe(rest, mode: mode, sessionID: sessionID, socket: socket) }
        }
    }

    func onBinary(_ data: [UInt8], socket: WebSocket) {
        sendError("binary messages are not understood; send subscribe, unsubscribe or mode as JSON text", to: socket)
    }

    func onClose(code: WebSocketCloseCode, reason: String) {
        guard let sessionID else { return }
        hub.close(sessionID: sessionID, reason: "closed \(code.rawValue)" + (reason.isEmpty ? "" : ": \(reason)"))
    }

    private func subscribe(_ tokens: [UInt32], mode: StreamMode, sessionID: UInt64, socket: WebSocket) {
        let requested = RequestedTokens(tokens, isKnown: isKnownToken)
        if let message = requested.unknownMessage { sendError(message, to: socket) }
        guard !requested.known.isEmpty else { return }
        hub.subscribe(sessionID: sessionID, tokens: requested.known, mode: mode) { outcome, snapshot in
            // Under the hub's lock: the latest tick of each new token goes out before later ones.
            if !outcome.overLimit.isEmpty {
                self.sendError("a connection may subscribe to \(self.hub.settings.maxTokensPerSession) instruments; \(outcome.overLimit.count) not subscribed", to: socket)
            }
            guard !snapshot.isEmpty else { return }
            _ = socket.send(self.encoding.message(joining: snapshot.map { self.encoding.fragment(of: $0, mode: mode) }))
        }
    }

    private func sendError(_ message: String, to socket: WebSocket) {
        _ = socket.send(StreamMessage(isBinary: false, bytes: Array(KiteServerMessage.error(message).json.utf8)))
    }
}
