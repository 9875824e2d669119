/// The WebSocket state of one upgraded connection; owned by the connection's event loop thread.
final class WebSocketSession {
    let handler: any WebSocketHandler
    let socket: WebSocket
    var decoder: WebSocketFrameDecoder
    var assembler: WebSocketMessageAssembler
    /// When this side sent its close frame; nil while open (RFC 6455 §7.1.2).
    var closeSentAt: ContinuousClock.Instant?
    var lastReceivedAt: ContinuousClock.Instant
    var lastPingSentAt: ContinuousClock.Instant
    private var hasNotifiedClose = false

    init(handler: any WebSocketHandler, socket: WebSocket, settings: HTTPServer.WebSocketSettings, now: ContinuousClock.Instant) {
        self.handler = handler
        self.socket = socket
        decoder = WebSocketFrameDecoder(maxFrameBytes: settings.maxFrameBytes)
        assembler = WebSocketMessageAssembler(maxMessageBytes: settings.maxMessageBytes)
        lastReceivedAt = now
        lastPingSentAt = now
    }

    /// Tells the handler the connection closed, once, and stops further sends.
    func finish(code: WebSocketCloseCode, reason: String) {
        socket.outbox.close()
        guard !hasNotifiedClose else { return }
        hasNotifiedClose = true
        handler.onClose(code: code, reason: reason)
    }
}
