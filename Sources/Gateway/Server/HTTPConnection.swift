/// One client connection: HTTP/1.1 exchanges in order, possibly upgraded to WebSocket; owned by its event loop thread.
///
/// Work from other threads (late replies, streamed body chunks, WebSocket sends) reaches it only as jobs posted to
/// its loop, which find it again by registration id; a job for a connection that has closed finds nothing.
final class HTTPConnection: EventSource {
    /// What protocol the connection speaks now; part of the connection, so owned by its loop thread.
    enum Mode {
        case http
        case webSocket(WebSocketSession)
        /// Output is done and the write side shut; read and discard until the peer closes, so unread input cannot
        /// turn the close into a reset that destroys the response in flight (RFC 9112 §9.6).
        case lingering(until: ContinuousClock.Instant)
    }

    /// The request being answered, if any; part of the connection, so owned by its loop thread.
    enum Exchange {
        /// A request was handed to the responder and its answer has not come yet.
        case awaitingReply(HTTPRequest, ReplyBox, since: ContinuousClock.Instant, sequence: UInt64)
        /// A streamed response body is being sent.
        case streaming(ConnectionOutbox, isChunked: Bool, keepAlive: Bool)
    }

    /// Beyond this many unsent bytes, reading pauses and queued output stays queued (backpressure).
    static let writeHighWater = 256 * 1024
    /// Beyond this many buffered request bytes while a request is being answered, reading pauses.
    static let pipelineReadLimit = 64 * 1024
    /// How long a closing connection waits for the peer's end-of-file.
    static let lingerTime: Duration = .seconds(2)

    let isConnection = true
    let socket: Socket
    let id: UInt64
    let server: ServerState
    let runtime: EventLoopRuntime
    let remoteAddress: String
    let isCounted: Bool
    var registrationID: UInt64 = 0
    var parser: HTTPRequestParser
    var mode = Mode.http
    var exchange: Exchange?
    var sequence: UInt64 = 0
    var writeBuffer: [UInt8] = []
    /// What the last outbox drain took; kept empty between drains and reused (see `ConnectionOutbox.drain(into:)`).
    var drained: [ConnectionOutbox.Item] = []
    var writeOffset = 0
    var closeAfterFlush = false
    var isClosed = false
    var isDraining = false
    var hasPeerClosedInput = false
    var isProcessing = false
    var needsAnotherPass = false
    var isFlushing = false
    /// Whether a WebSocket's socket is lent to senders on other threads, who write frames to it
    /// directly while the loop has nothing to send (see `ConnectionOutbox`); the loop takes it back
    /// before writing anything of its own.
    var hasLentSocket = false
    var interest: Interest = .readable
    var lastReadAt: ContinuousClock.Instant
    var lastWriteProgressAt: ContinuousClock.Instant
    var headStartedAt: ContinuousClock.Instant?

    private init(socket: Socket, id: UInt64, server: ServerState, runtime: EventLoopRuntime, isCounted: Bool) {
        self.socket = socket
        self.id = id
        self.server = server
        self.runtime = runtime
        self.isCounted = isCounted
        remoteAddress = socket.remoteAddress()
        parser = HTTPRequestParser(limits: server.configuration.limits)
        lastReadAt = runtime.now
        lastWriteProgressAt = runtime.now
    }

    /// Starts serving an accepted socket on this loop; with a rejection it only answers that error and closes.
    static func open(_ socket: Socket, id: UInt64, server: ServerState, runtime: EventLoopRuntime, rejection: HTTPError?) {
        socket.setNoDelay()
        let connection = HTTPConnection(socket: socket, id: id, server: server, runtime: runtime, isCounted: rejection == nil)
        do throws(GatewayError) {
            connection.registrationID = try runtime.register(connection, descriptor: socket.fileDescriptor, interest: .readable)
        } catch {
            socket.close()
            if connection.isCounted { server.releaseConnection() }
            return
        }
        if let rejection {
            connection.answerAndClose(rejection.response)
        } else if server.isDraining {
            connection.beginDraining()
        }
    }

    /// Unsent bytes in the write buffer.
    var pendingWriteBytes: Int { writeBuffer.count - writeOffset }

    /// Runs `body` on this connection on its loop, if it is still open when the job runs (callable from any thread).
    static func post(to loop: EventLoop, registrationID: UInt64, _ body: @escaping @Sendable (HTTPConnection) -> Void) {
        loop.submit { runtime in
            if let connection = runtime.source(registrationID) as? HTTPConnection { body(connection) }
        }
    }

    /// Makes an outbox whose items are drained on this connection's loop; a WebSocket's may be lent
    /// the socket (`directSocket`).
    func makeOutbox(lendingSocket: Bool = false) -> ConnectionOutbox {
        let loop = runtime.loop, registrationID = registrationID
        // Made once per outbox: scheduling a drain (once per streamed message) then allocates nothing.
        let drain: @Sendable (EventLoopRuntime) -> Void = { runtime in
            (runtime.source(registrationID) as? HTTPConnection)?.flush()
        }
        return ConnectionOutbox(capacityBytes: server.configuration.outboundQueueBytes,
                                directSocket: lendingSocket ? socket.fileDescriptor : nil) { loop.submit(drain) }
    }

    // MARK: EventSource

    func handle(_ readiness: Readiness) {
        if readiness.isWritable { flush() }
        if readiness.isReadable || readiness.isHangUp { readAvailable() }
        // EPOLLHUP means both directions are gone; nothing can be answered, and a level-triggered HUP would spin.
        if readiness.isHangUp { close() }
    }

    func beginDraining() {
        guard !isClosed else { return }
        isDraining = true
        switch mode {
        case .http:
            // An idle connection or a half-sent head has nothing in flight worth waiting for.
            if exchange == nil, !parser.isReadingBody { closeAfterFlush = true }
        case .webSocket(let session):
            if session.closeSentAt == nil { sendClose(.goingAway, "The server is shutting down.", in: session) }
        case .lingering:
            break
        }
        flush()
    }

    func forceClose() {
        close()
    }

    // MARK: Reading

    private func readAvailable() {
        // A few reads per readiness event keep one busy client from starving the rest of the loop.
        for _ in 0..<4 {
            guard !isClosed, !hasPeerClosedInput else { return }
            let result: IOResult<Int>
            do {
                result = try runtime.readBuffer.withUnsafeMutableBytes { buffer in try socket.read(into: buffer) }
            } catch {
                close()
                return
            }
            switch result {
            case .wouldBlock:
                return
            case .completed(0):
                hasPeerClosedInput = true
                receivedEndOfFile()
                return
            case .completed(let count):
                lastReadAt = runtime.now
                let bytes = runtime.readBuffer[0..<count]
                received(bytes)
                if count < runtime.readBuffer.count { return }
            }
        }
    }

    private func received(_ bytes: ArraySlice<UInt8>) {
        switch mode {
        case .http:
            // Input after a fatal error or a final response is never parsed; drop it rather than buffer it.
            guard !closeAfterFlush else { return }
            parser.append(bytes)
            processHTTP()
        case .webSocket(let session):
            guard !closeAfterFlush else { return }
            receiveWebSocket(bytes, in: session)
        case .lingering:
            break
        }
    }

    private func receivedEndOfFile() {
        switch mode {
        case .http:
            // A half-closed client still gets answers to the complete requests it sent.
            processHTTP()
        case .webSocket(let session):
            session.finish(code: .abnormalClosure, reason: "The connection closed without a close frame.")
            close()
        case .lingering:
            close()
        }
        updateInterest()
    }

    // MARK: Writing

    /// Queues bytes for sending; `flush()` sends them.
    func append(_ bytes: [UInt8]) {
        if hasLentSocket { takeSocketBack() }
        guard pendingWriteBytes > 0 else {
            // Nothing waits: the array itself becomes the output buffer, without a copy (a
            // streamed WebSocket frame is usually alone in its drain).
            lastWriteProgressAt = runtime.now
            writeBuffer = bytes
            writeOffset = 0
            return
        }
        appendOutput { $0 += bytes }
    }

    /// Queues what `write` appends to the output buffer, for encoders that write in place rather than build an array.
    func appendOutput(_ write: (inout [UInt8]) -> Void) {
        if hasLentSocket { takeSocketBack() }
        // The write-stall timeout counts from when output was first waiting, not from the last write long ago.
        if pendingWriteBytes == 0 { lastWriteProgressAt = runtime.now }
        write(&writeBuffer)
    }

    /// Writes as much as the socket takes, pulling more from the outbox while there is room; ends a closing connection.
    func flush() {
        guard !isClosed, !isFlushing else { return }
        isFlushing = true
        defer { isFlushing = false }
        while !isClosed {
            if pendingWriteBytes < Self.writeHighWater, pumpOutbox() { continue }
            guard pendingWriteBytes > 0 else { break }
            let result: IOResult<Int>
            do {
                result = try writeBuffer.withUnsafeBytes { buffer in
                    try socket.write(UnsafeRawBufferPointer(rebasing: buffer[writeOffset...]))
                }
            } catch {
                close()
                return
            }
            guard case .completed(let count) = result else { break }
            writeOffset += count
            lastWriteProgressAt = runtime.now
        }
        guard !isClosed else { return }
        if pendingWriteBytes == 0 {
            // Keep a modest buffer for reuse; let a large one go.
            if writeBuffer.capacity > 1 << 20 { writeBuffer = [] } else { writeBuffer.removeAll(keepingCapacity: true) }
            writeOffset = 0
            if closeAfterFlush, !isLingering {
                beginLingering()
                return
            }
            // Nothing left to write: senders may write whole frames themselves until the loop
            // needs the socket again (never after this side's close frame).
            if case .webSocket(let session) = mode, session.closeSentAt == nil {
                hasLentSocket = session.socket.outbox.lendSocket()
            }
        }
        updateInterest()
    }

    /// Takes a lent socket back before the loop adds output of its own: what senders queued
    /// meanwhile (the rest of a frame the socket did not take whole first) goes ahead of it.
    private func takeSocketBack() {
        _ = pumpOutbox()
        hasLentSocket = false
    }

    private var isLingering: Bool {
        if case .lingering = mode { true } else { false }
    }

    private func beginLingering() {
        socket.shutdownWrite()
        endExchange()
        if case .webSocket(let session) = mode { session.finish(code: .abnormalClosure, reason: "") }
        mode = .lingering(until: runtime.now + Self.lingerTime)
        if hasPeerClosedInput {
            close()
        } else {
            updateInterest()
        }
    }

    /// Stops any in-flight exchange so late answers and stream writes are ignored.
    func endExchange() {
        switch exchange {
        case .awaitingReply(_, let box, _, _): box.abandon()
        case .streaming(let outbox, _, _): outbox.close()
        case nil: break
        }
        exchange = nil
    }

    /// Asks epoll for exactly the readiness this connection can act on now.
    func updateInterest() {
        guard !isClosed else { return }
        var wanted: Interest = []
        if !hasPeerClosedInput {
            switch mode {
            case .lingering:
                wanted.insert(.readable)
            case .http:
                let isPipelineFull = exchange != nil && parser.bufferedByteCount >= Self.pipelineReadLimit
                if pendingWriteBytes < Self.writeHighWater, !isPipelineFull { wanted.insert(.readable) }
            case .webSocket:
                if pendingWriteBytes < Self.writeHighWater { wanted.insert(.readable) }
            }
        }
        if pendingWriteBytes > 0 { wanted.insert(.writable) }
        if wanted != interest {
            interest = wanted
            runtime.update(registrationID, descriptor: socket.fileDescriptor, interest: wanted)
        }
    }

    /// Releases everything: epoll registration, descriptor, connection count, pending work from other threads.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        endExchange()
        if case .webSocket(let session) = mode { session.finish(code: .abnormalClosure, reason: "The connection dropped.") }
        runtime.deregister(registrationID, descriptor: socket.fileDescriptor)
        socket.close()
        if isCounted { server.releaseConnection() }
    }
}

extension HTTPRequestParser {
    /// Whether a request's content is partly received.
    var isReadingBody: Bool { !isIdle && !isReadingHead && !hasFailed }
}
