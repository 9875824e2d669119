extension HTTPConnection {
    /// Switches to WebSocket after the 101 is queued; bytes the client sent after its handshake are frames already.
    func startWebSocket(request: HTTPRequest, upgrade: WebSocketUpgrade) {
        let outbox = makeOutbox(lendingSocket: true)
        let socket = WebSocket(id: id, request: request, outbox: outbox)
        let session = WebSocketSession(handler: upgrade.makeHandler(), socket: socket, settings: server.configuration.webSocket, now: runtime.now)
        mode = .webSocket(session)
        headStartedAt = nil
        let leftover = parser.takeUnparsedBytes()
        session.handler.onOpen(socket)
        if isDraining { sendClose(.goingAway, "The server is shutting down.", in: session) }
        if !leftover.isEmpty { receiveWebSocket(leftover[...], in: session) }
        flush()
    }

    /// Decodes frames and hands complete messages to the handler; a protocol error fails the connection (RFC 6455 §7.1.7).
    func receiveWebSocket(_ bytes: ArraySlice<UInt8>, in session: WebSocketSession) {
        session.lastReceivedAt = runtime.now
        session.decoder.append(bytes)
        do throws(WebSocketError) {
            while !isClosed, !closeAfterFlush, let frame = try session.decoder.next() {
                guard let message = try session.assembler.assemble(frame) else { continue }
                switch message {
                case .text(let text):
                    // §5.5.1: after sending a close frame, an endpoint sends no more data; incoming data is moot too.
                    if session.closeSentAt == nil { session.handler.onText(text, socket: session.socket) }
                case .binary(let data):
                    if session.closeSentAt == nil { session.handler.onBinary(data, socket: session.socket) }
                case .ping(let payload):
                    // §5.5.2: answer a ping with a pong carrying the same application data, unless already closing.
                    if session.closeSentAt == nil { appendFrame(.pong, payload) }
                case .pong:
                    break
                case .close(let code, let reason):
                    // §5.5.1: answer a close with a close, echoing the code; then the server closes TCP first (§7.1.1).
                    if session.closeSentAt == nil {
                        appendFrame(.close, code.map { WebSocketFrameEncoder.closePayload(code: $0, reason: "") } ?? [])
                        session.closeSentAt = runtime.now
                    }
                    session.finish(code: code ?? .noStatusReceived, reason: reason)
                    closeAfterFlush = true
                }
            }
        } catch {
            failWebSocket(error, in: session)
        }
        flush()
    }

    /// Fails the connection: send a close frame with the error's code and close without waiting (RFC 6455 §7.1.7).
    private func failWebSocket(_ error: WebSocketError, in session: WebSocketSession) {
        if session.closeSentAt == nil {
            appendFrame(.close, WebSocketFrameEncoder.closePayload(code: error.code, reason: error.reason))
            session.closeSentAt = runtime.now
        }
        session.finish(code: error.code, reason: error.reason)
        closeAfterFlush = true
    }

    /// Starts the closing handshake from this side and waits for the peer's close (RFC 6455 §7.1.2).
    func sendClose(_ code: WebSocketCloseCode, _ reason: String, in session: WebSocketSession) {
        guard session.closeSentAt == nil else { return }
        appendFrame(.close, WebSocketFrameEncoder.closePayload(code: code, reason: reason))
        session.closeSentAt = runtime.now
    }

    /// Queues one unmasked server frame (RFC 6455 §5.1: a server MUST NOT mask).
    func appendFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8]) {
        append(WebSocketFrameEncoder.encode(WebSocketFrame(opcode: opcode, payload: payload)))
    }

    /// Moves messages sent from any thread into the write buffer, taking the socket back if it was
    /// lent; true when anything was queued.
    func pumpWebSocketOutbox(_ session: WebSocketSession) -> Bool {
        // Draining takes a lent socket back.
        hasLentSocket = false
        session.socket.outbox.drain(into: &drained)
        defer { drained.removeAll(keepingCapacity: true) }
        guard !drained.isEmpty else { return false }
        for item in drained where session.closeSentAt == nil {
            switch item {
            case .webSocketFrame(let frame): append(frame)
            case .webSocketClose(let code, let reason): sendClose(code, reason, in: session)
            case .bodyChunk, .bodyEnd: break
            }
        }
        return true
    }
}
