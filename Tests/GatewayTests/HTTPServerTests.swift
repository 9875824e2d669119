import Dispatch
import Foundation
import Testing
@testable import Gateway

@Suite struct HTTPServerTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        for _ in 0..<3 {
            try client.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello")
            #expect(response.headers["Server"] == "Tape")
            #expect(response.headers["Date"]?.hasSuffix(" GMT") == true)
            #expect(response.headers["Connection"] == nil)
            #expect(response.headers["X-Request-Id"]?.count == 16)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlow() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("GET /later HTTP/1.1\r\nHost: h\r\n\r\nPOST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbodyGET /instruments/INFY HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try client.readResponse().text == "later")
        #expect(try client.readResponse().text == "body")
        #expect(try client.readResponse().text == "{\"token\":\"INFY\"}")
    }

    @Test func expectContinueGets100BeforeTheBodyIsSent() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send("12345")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "12345")
    }

    @Test func expectContinueWithAnOversizedBodyGets413Instead() throws {
        let server = try TestServer { $0.limits.maxBodyBytes = 10 }
        let client = try server.makeClient()
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.headers["Connection"] == "close")
        #expect(try client.isClosedByServer())
    }

    @Test func headGetsTheHeadersWithoutTheBody() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        let head = try client.readResponse(isHead: true)
        #expect(head.status == 200)
        #expect(head.headers["Content-Length"] == "5")
        // If HEAD had carried a body, these five bytes would garble the next status line.
        #expect(try client.readResponse().text == "hello")
    }

    @Test func chunkedRequestBodyIsDecoded() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n")
        #expect(try client.readResponse().text == "Wikipedia in \r\n\r\nchunks.")
    }

    @Test func streamedResponseFromAnotherThreadIsChunked() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.headers["Transfer-Encoding"] == "chunked")
        #expect(response.text == "alpha beta gamma")
        try client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try client.readResponse().text == "hello")
    }

    @Test func pipelinedRequestAfterAStreamThatEndsAtOnceIsAnswered() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("GET /stream-now HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try client.readResponse().text == "at once")
        #expect(try client.readResponse().text == "hello")
    }

    @Test func unknownPathGets404WithAJSONError() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("GET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 404)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.text.hasPrefix("{\"error\":{\"code\":\"not_found\""))
    }

    static let rejectedRequests: [(String, String, Int, String)] = [
        ("oversized header", "GET / HTTP/1.1\r\nHost: h\r\nX-Big: \(String(repeating: "b", count: 5000))\r\n\r\n", 431, "headers_too_large"),
        ("too many headers", "GET / HTTP/1.1\r\nHost: h\r\n" + String(repeating: "X-A: 1\r\n", count: 20) + "\r\n", 431, "too_many_headers"),
        ("overlong request line", "GET /\(String(repeating: "u", count: 3000)) HTTP/1.1\r\nHost: h\r\n\r\n", 414, "request_line_too_long"),
        ("oversized body", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n" + String(repeating: "x", count: 2000), 413, "body_too_large"),
        ("malformed request line", "GARBAGE\r\n\r\n", 400, "malformed_request_line"),
        ("both framings", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "conflicting_framing"),
    ]

    @Test(arguments: rejectedRequests)
    func invalidRequestGetsAJSONErrorAndTheConnectionCloses(name: String, request: String, status: Int, code: String) throws {
        let server = try TestServer { configuration in
            configuration.limits = HTTPRequestParser.Limits(maxRequestLineBytes: 2048, maxHeaderBytes: 4096, maxHeaderCount: 10, maxBodyBytes: 1000)
        }
        let client = try server.makeClient()
        try client.send(request)
        let response = try client.readResponse()
        #expect(response.status == status, "\(name)")
        #expect(response.text.contains("\"code\":\"\(code)\""), "\(name)")
        #expect(response.headers["Connection"] == "close", "\(name)")
        #expect(try client.isClosedByServer(), "\(name)")
    }

    @Test func slowRequestHeadGets408AndClose() throws {
        let server = try TestServer { $0.headerTimeout = .milliseconds(100) }
        let client = try server.makeClient()
        try client.send("GET /hello HTTP/1.1\r\nHo")
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(response.text.contains("header_timeout"))
        #expect(try client.isClosedByServer())
    }

    @Test func idleConnectionGets408AndClose() throws {
        let server = try TestServer { $0.idleTimeout = .milliseconds(100) }
        let client = try server.makeClient()
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(response.text.contains("idle_timeout"))
        #expect(try client.isClosedByServer())
    }

    @Test func connectionsOverTheCapGet503WithRetryAfter() throws {
        let server = try TestServer { configuration in
            configuration.maxConnections = 1
            configuration.retryAfterSeconds = 7
        }
        let first = try server.makeClient()
        try first.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try first.readResponse().status == 200)
        let second = try server.makeClient()
        let response = try second.readResponse()
        #expect(response.status == 503)
        #expect(response.headers["Retry-After"] == "7")
        #expect(try second.isClosedByServer())
        // The admitted connection is unaffected.
        try first.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try first.readResponse().status == 200)
    }

    @Test func closedConnectionsFreeTheirPlaceUnderTheCap() throws {
        let server = try TestServer { $0.maxConnections = 1 }
        do {
            let first = try server.makeClient()
            try first.send("GET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            #expect(try first.readResponse().status == 200)
            #expect(try first.isClosedByServer())
        }
        #expect(eventually { server.server.connectionCount == 0 })
        let second = try server.makeClient()
        try second.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try second.readResponse().status == 200)
    }

    @Test func bindingATakenPortNamesHostAndPort() throws {
        let first = try TestServer()
        var configuration = HTTPServer.Configuration()
        configuration.port = first.port
        let second = HTTPServer(configuration: configuration, responder: ClosureResponder { _, _ in HTTPResponse() })
        #expect(throws: GatewayError.addressInUse(host: "127.0.0.1", port: first.port)) { try second.start() }
        #expect(GatewayError.addressInUse(host: "127.0.0.1", port: first.port).description.contains("127.0.0.1:\(first.port)"))
    }

    @Test func gracefulStopFinishesTheRequestInFlightThenCloses() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("GET /parked HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(eventually { server.parked.withLock { !$0.isEmpty } })
        let stopped = DispatchSemaphore(value: 0)
        let http = server.server
        DispatchQueue.global().async {
            http.stop(gracePeriod: .seconds(5))
            stopped.signal()
        }
        // New connections are refused once the listener is closed.
        #expect(eventually { (try? TestClient(port: server.port)) == nil })
        server.parked.withLock { $0.first?.send(.text("finished")) }
        let response = try client.readResponse()
        #expect(response.text == "finished")
        #expect(response.headers["Connection"] == "close")
        #expect(try client.isClosedByServer())
        #expect(stopped.wait(timeout: .now() + 5) == .success)
    }

    @Test func resetConnectionIsReleasedWhileItsReplyIsPending() throws {
        let server = try TestServer()
        do {
            let client = try server.makeClient()
            try client.send("GET /parked HTTP/1.1\r\nHost: h\r\n\r\n")
            #expect(eventually { server.parked.withLock { !$0.isEmpty } })
            // SO_LINGER with a zero timeout makes close() send RST, the abrupt end a crashed client produces.
            var abort = linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(client.socket.fileDescriptor, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size))
        }
        #expect(eventually { server.server.connectionCount == 0 })
        // The late reply finds no connection and is dropped.
        server.parked.withLock { $0.first?.send(.text("too late")) }
        let client = try server.makeClient()
        try client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try client.readResponse().text == "hello")
    }

    @Test func workSubmittedToALoopRunsOnItsThread() throws {
        let server = try TestServer()
        let loop = try #require(server.server.eventLoops.last)
        let threadName = Locked<String?>(nil)
        loop.execute { threadName.withLock { $0 = EventLoop.currentThreadName } }
        #expect(eventually { threadName.withLock { $0 } != nil })
        #expect(threadName.withLock { $0 } == "tape-loop-\(loop.index)")
    }

    @Test func http10RequestIsAnsweredAndClosedUnlessKeptAlive() throws {
        let server = try TestServer()
        let kept = try server.makeClient()
        try kept.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try kept.readResponse().headers["Connection"] == "keep-alive")
        try kept.send("GET /hello HTTP/1.0\r\n\r\n")
        let last = try kept.readResponse()
        #expect(last.headers["Connection"] == "close")
        #expect(try kept.isClosedByServer())
    }

    @Test func streamedResponseToHTTP10EndsWithTheConnection() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("GET /stream HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.headers["Transfer-Encoding"] == nil)
        #expect(response.text == "alpha beta gamma")
    }

    @Test func halfClosedClientStillGetsEveryPipelinedAnswer() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\nGET /later HTTP/1.1\r\nHost: h\r\n\r\n")
        client.socket.shutdownWrite()
        #expect(try client.readResponse().text == "hello")
        #expect(try client.readResponse().text == "later")
        #expect(try client.isClosedByServer())
    }

    @Test func requestSentOneByteAtATimeIsAnswered() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        for byte in Array("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz".utf8) { try client.send([byte]) }
        #expect(try client.readResponse().text == "xyz")
    }

    @Test func largeBodiesRoundTripThroughPartialWrites() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        var random = SeededGenerator(seed: 42)
        let body = (0..<900_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        try client.send(.ascii("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.count)\r\n\r\n") + body)
        #expect(try client.readResponse().body == body)
    }

    @Test func responderThatNeverAnswersGets503AfterTheResponseTimeout() throws {
        let server = try TestServer { $0.responseTimeout = .milliseconds(100) }
        let client = try server.makeClient()
        try client.send("GET /parked HTTP/1.1\r\nHost: h\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 503)
        #expect(response.text.contains("response_timeout"))
        #expect(try client.isClosedByServer())
    }

    @Test func concurrentClientsWithCrossThreadRepliesAllGetTheirOwnAnswers() throws {
        let server = try TestServer()
        let failures = Locked<[String]>([])
        let port = server.port
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            do {
                let client = try TestClient(port: port)
                for round in 0..<20 {
                    try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nw\(worker)r\(String(format: "%03d", round))GET /later HTTP/1.1\r\nHost: h\r\n\r\nGET /stream HTTP/1.1\r\nHost: h\r\n\r\n")
                    let echoed = try client.readResponse().text
                    let later = try client.readResponse().text
                    let streamed = try client.readResponse().text
                    if echoed != "w\(worker)r\(String(format: "%03d", round))" || later != "later" || streamed != "alpha beta gamma" {
                        failures.withLock { $0.append("worker \(worker) round \(round): \(echoed) \(later) \(streamed)") }
                    }
                }
            } catch {
                failures.withLock { $0.append("worker \(worker): \(error)") }
            }
        }
        #expect(failures.withLock { Array($0.prefix(3)) } == [])
    }

    @Test func randomGarbageNeverStopsTheServer() throws {
        let server = try TestServer { $0.idleTimeout = .milliseconds(200) }
        var random = SeededGenerator(seed: 0xBAD_F00D)
        let valid: [UInt8] = .ascii("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
        for _ in 0..<40 {
            var input = valid
            switch Int.random(in: 0..<3, using: &random) {
            case 0: input[Int.random(in: 0..<input.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            case 1: input.removeLast(Int.random(in: 1..<input.count, using: &random))
            default: input = (0..<Int.random(in: 1..<512, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            let client = try server.makeClient()
            try client.send(input)
            // Every garbage connection ends: answered and closed, or timed out and closed. None hangs.
            _ = try client.readUntilClosed()
        }
        let client = try server.makeClient()
        try client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try client.readResponse().text == "hello")
    }
}

/// Answers every request with its own path, synchronously.
struct PathEcho: SynchronousResponder {
    func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse { .text(request.path) }
}

@Suite struct HTTPServerConfigurationTests {
    @Test func synchronousResponderServesWithoutARouter() throws {
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        configuration.loopCount = 1
        let server = HTTPServer(configuration: configuration, responder: PathEcho())
        try server.start()
        defer { server.stop(gracePeriod: .zero) }
        let client = try TestClient(port: try #require(server.port))
        try client.send("GET /a/b HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try client.readResponse().text == "/a/b")
    }

    @Test func defaultConfigurationHasNoProblems() {
        #expect(HTTPServer.Configuration().problems.isEmpty)
    }

    @Test func everyProblemIsListedAtOnceWithItsSettingName() throws {
        var configuration = HTTPServer.Configuration()
        configuration.port = 70000
        configuration.loopCount = 0
        configuration.idleTimeout = .zero
        let server = HTTPServer(configuration: configuration, responder: ClosureResponder { _, _ in HTTPResponse() })
        do {
            try server.start()
            Issue.record("an invalid configuration started")
        } catch {
            guard case .invalidConfiguration(let problems) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(problems.count == 3)
            #expect(problems.contains { $0.contains("`port`") })
            #expect(problems.contains { $0.contains("`loopCount`") })
            #expect(problems.contains { $0.contains("`idleTimeout`") })
        }
    }
}
