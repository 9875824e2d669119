extension HTTPConnection {
    /// Enforces every deadline on a timer tick: slow heads, idle connections, slow responders, stalled writes.
    func tick() {
        guard !isClosed else { return }
        let now = runtime.now
        let configuration = server.configuration
        // A peer that stopped reading cannot be answered or closed politely.
        if pendingWriteBytes > 0, now - lastWriteProgressAt > configuration.idleTimeout {
            close()
            return
        }
        switch mode {
        case .lingering(let deadline):
            if now >= deadline { close() }
        case .http:
            switch exchange {
            case .awaitingReply(_, _, let since, _)?:
                if now - since > configuration.responseTimeout {
                    answerAndClose(HTTPError(.serviceUnavailable, code: "response_timeout", message: "The server took too long to answer.").response)
                }
            case .streaming?:
                break
            case nil:
                guard !closeAfterFlush else { return }
                // RFC 9110 §15.5.9: 408 tells the client the server gave up waiting and is closing.
                if let started = headStartedAt, now - started > configuration.headerTimeout {
                    answerAndClose(HTTPError(.requestTimeout, code: "header_timeout", message: "The request head took too long to arrive.").response)
                } else if now - lastReadAt > configuration.idleTimeout {
                    answerAndClose(HTTPError(.requestTimeout, code: "idle_timeout", message: "The connection was idle too long.").response)
                }
            }
        case .webSocket(let session):
            let settings = configuration.webSocket
            if let closeSent = session.closeSentAt {
                if now - closeSent > settings.closeTimeout { close() }
            } else if now - session.lastReceivedAt > settings.idleTimeout {
                sendClose(.goingAway, "The connection was idle too long.", in: session)
                flush()
            } else if let interval = settings.pingInterval, now - session.lastReceivedAt >= interval, now - session.lastPingSentAt >= interval {
                session.lastPingSentAt = now
                appendFrame(.ping, [])
                flush()
            }
        }
    }
}
