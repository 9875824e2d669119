extension HTTPConnection {
    /// Turns parsed input into exchanges, one at a time so answers leave in request order (RFC 9112 §9.3.2).
    func processHTTP() {
        guard !isClosed else { return }
        // A call from inside a pass (a reply or a stream ending during dispatch or flush) asks for one more pass,
        // so requests already buffered behind it are not left waiting for the next read.
        guard !isProcessing else {
            needsAnotherPass = true
            return
        }
        isProcessing = true
        defer { isProcessing = false }
        repeat {
            needsAnotherPass = false
            processBufferedRequests()
            flush()
        } while needsAnotherPass && !isClosed
    }

    private func processBufferedRequests() {
        while case .http = mode, exchange == nil, !closeAfterFlush, !isClosed {
            guard let event = parser.next() else { break }
            switch event {
            case .continueExpected:
                append(HTTPResponse.continueHead)
            case .failure(let error):
                answerAndClose(error.response)
            case .request(let request):
                headStartedAt = nil
                dispatch(request)
            }
        }
        guard case .http = mode, exchange == nil, !closeAfterFlush, !isClosed else { return }
        if parser.isReadingHead {
            if headStartedAt == nil { headStartedAt = runtime.now }
        } else {
            headStartedAt = nil
        }
        // Nothing more can arrive, or the server is stopping and nothing is in progress.
        if hasPeerClosedInput || (isDraining && !parser.isReadingBody) { closeAfterFlush = true }
    }

    /// Hands a request to the responder; a synchronous answer is taken straight from the box without a thread hop.
    private func dispatch(_ request: HTTPRequest) {
        sequence += 1
        let sequence = sequence
        let loop = runtime.loop, registrationID = registrationID
        let box = ReplyBox { response in
            HTTPConnection.post(to: loop, registrationID: registrationID) { $0.deliver(response, sequence: sequence) }
        }
        exchange = .awaitingReply(request, box, since: runtime.now, sequence: sequence)
        let context = RequestContext(remoteAddress: remoteAddress, eventLoop: loop)
        server.responder.respond(to: request, context: context, reply: Reply { box.complete($0) })
        if let response = box.takeSynchronousResponse() { deliver(response, sequence: sequence) }
    }

    /// Sends the answer to the request in flight, then carries on with the next pipelined one.
    func deliver(_ response: HTTPResponse, sequence: UInt64) {
        guard !isClosed, case .awaitingReply(let request, _, _, let expected)? = exchange, expected == sequence else { return }
        exchange = nil
        answer(response, to: request)
        processHTTP()
    }

    /// Writes a response for a request, switching to streaming or WebSocket when the response asks for it.
    private func answer(_ response: HTTPResponse, to request: HTTPRequest) {
        let keepAlive = request.keepsAlive && !isDraining
        let date = runtime.dateHeader, serverName = server.configuration.serverName
        if response.status == .switchingProtocols {
            guard let upgrade = response.webSocketUpgrade else {
                // Only `HTTPResponse.webSocket(accepting:…)` may switch protocols; anything else is a handler bug.
                answer(HTTPError.internalError.response, to: request)
                return
            }
            appendOutput { response.writeHead(version: request.version, keepAlive: true, date: date, server: serverName, to: &$0) }
            startWebSocket(request: request, upgrade: upgrade)
            return
        }
        switch response.body {
        case .bytes:
            appendOutput { response.write(answering: request.method, version: request.version, keepAlive: keepAlive, date: date, server: serverName, to: &$0) }
            if !keepAlive { closeAfterFlush = true }
        case .stream(let produce):
            let framing = response.framing(for: request.version)
            appendOutput { response.writeHead(version: request.version, keepAlive: keepAlive, date: date, server: serverName, to: &$0) }
            guard request.method != .head, framing != .none else {
                if !keepAlive { closeAfterFlush = true }
                return
            }
            let outbox = makeOutbox()
            exchange = .streaming(outbox, isChunked: framing == .chunked, keepAlive: keepAlive)
            produce(HTTPBodyWriter(outbox: outbox))
        }
    }

    /// Writes a final response that is not tied to a parsed request (errors, timeouts, the connection cap) and closes.
    func answerAndClose(_ response: HTTPResponse) {
        endExchange()
        let date = runtime.dateHeader, serverName = server.configuration.serverName
        appendOutput { response.write(answering: .get, version: .http1_1, keepAlive: false, date: date, server: serverName, to: &$0) }
        closeAfterFlush = true
        flush()
    }

    /// Moves queued items from the outbox into the write buffer; true when anything changed.
    func pumpOutbox() -> Bool {
        switch mode {
        case .webSocket(let session):
            return pumpWebSocketOutbox(session)
        case .http:
            guard case .streaming(let outbox, let isChunked, let keepAlive)? = exchange else { return false }
            outbox.drain(into: &drained)
            defer { drained.removeAll(keepingCapacity: true) }
            guard !drained.isEmpty else { return false }
            for item in drained {
                switch item {
                case .bodyChunk(let bytes):
                    append(isChunked ? HTTPResponse.chunk(bytes) : bytes)
                case .bodyEnd:
                    if isChunked { append(HTTPResponse.lastChunk) }
                    outbox.close()
                    exchange = nil
                    // Close-delimited content ends only when the connection does (RFC 9112 §6.3 rule 8).
                    if !isChunked || !keepAlive { closeAfterFlush = true }
                    processHTTP()
                    return true
                case .webSocketFrame, .webSocketClose:
                    break
                }
            }
            return true
        case .lingering:
            return false
        }
    }
}
