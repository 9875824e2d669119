import Foundation
import Testing
@testable import Gateway

@Suite struct WebSocketServerTests {
    static func closeCode(of frame: WebSocketFrame) -> UInt16? {
        guard frame.opcode == .close, frame.payload.count >= 2 else { return nil }
        return UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1])
    }

    @Test func handshakeGets101WithTheRFCAcceptKey() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        let response = try client.upgrade()
        #expect(response.status == 101)
        #expect(response.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(response.headers["Upgrade"] == "websocket")
    }

    @Test func plainGetToAWebSocketEndpointGets426() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send("GET /ws HTTP/1.1\r\nHost: h\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 426)
        #expect(response.text.contains("websocket_upgrade"))
    }

    @Test func textAndBinaryMessagesAreEchoed() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        try client.sendFrame(.text, .ascii("Hello"))
        #expect(try client.readFrame() == WebSocketFrame(opcode: .text, payload: .ascii("Hello")))
        try client.sendFrame(.binary, [0, 1, 2, 255], mask: [9, 8, 7, 6])
        #expect(try client.readFrame() == WebSocketFrame(opcode: .binary, payload: [0, 1, 2, 255]))
    }

    @Test func fragmentedMessageWithAPingBetweenIsReassembled() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        try client.sendFrame(.text, .ascii("frag"), isFinal: false)
        try client.sendFrame(.ping, .ascii("mid"))
        try client.sendFrame(.continuation, .ascii("men"), isFinal: false, mask: [1, 2, 3, 4])
        try client.sendFrame(.continuation, .ascii("ted €"), isFinal: true)
        #expect(try client.readFrame() == WebSocketFrame(opcode: .pong, payload: .ascii("mid")))
        #expect(try client.readFrame() == WebSocketFrame(opcode: .text, payload: .ascii("fragmented €")))
    }

    @Test func pingIsAnsweredWithAPongCarryingItsPayload() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        try client.sendFrame(.ping, [1, 2, 3])
        #expect(try client.readFrame() == WebSocketFrame(opcode: .pong, payload: [1, 2, 3]))
    }

    @Test func framesSentRightBehindTheHandshakeAreNotLost() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        try client.send(.ascii("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            + WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .text, payload: .ascii("early")), maskingKey: [0x81, 0xFE, 0x10, 0x99]))
        #expect(try client.readResponse().status == 101)
        #expect(try client.readFrame().payload == .ascii("early"))
    }

    @Test func clientCloseIsEchoedAndTheServerClosesTCP() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        try client.sendFrame(.close, WebSocketFrameEncoder.closePayload(code: .normalClosure, reason: "bye"))
        let reply = try client.readFrame()
        #expect(Self.closeCode(of: reply) == 1000)
        #expect(try client.isClosedByServer())
        #expect(eventually { server.recorder.closes == [.normalClosure] })
    }

    @Test func serverInitiatedCloseWaitsForTheClientsClose() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        #expect(eventually { server.recorder.sockets.count == 1 })
        server.recorder.sockets[0].close(code: .goingAway, reason: "maintenance")
        let frame = try client.readFrame()
        #expect(Self.closeCode(of: frame) == 1001)
        #expect(frame.payload.dropFirst(2).elementsEqual("maintenance".utf8))
        try client.sendFrame(.close, WebSocketFrameEncoder.closePayload(code: .goingAway, reason: ""))
        #expect(try client.isClosedByServer())
        #expect(eventually { server.recorder.closes == [.goingAway] })
    }

    @Test func messagesPushedFromAnotherThreadArriveInOrder() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        #expect(eventually { server.recorder.sockets.count == 1 })
        let socket = server.recorder.sockets[0]
        DispatchQueue.global().async {
            for index in 0..<100 { socket.send(text: "tick \(index)") }
        }
        for index in 0..<100 {
            #expect(try client.readFrame().payload == Array("tick \(index)".utf8))
        }
    }

    @Test func sendsFromSeveralThreadsAllArriveEachInItsOwnOrder() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        #expect(eventually { server.recorder.sockets.count == 1 })
        let socket = server.recorder.sockets[0]
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<50 { socket.send(text: "\(thread):\(index)") }
        }
        var next = [Int](repeating: 0, count: 4)
        for _ in 0..<200 {
            let parts = String(decoding: try client.readFrame().payload, as: UTF8.self).split(separator: ":").compactMap { Int($0) }
            try #require(parts.count == 2)
            #expect(parts[1] == next[parts[0]])
            next[parts[0]] += 1
        }
        #expect(next == [50, 50, 50, 50])
    }

    @Test func boundedOutgoingQueueRefusesWhenFull() throws {
        let server = try TestServer { $0.outboundQueueBytes = 1024 }
        let client = try server.makeClient()
        _ = try client.upgrade()
        #expect(eventually { server.recorder.sockets.count == 1 })
        let socket = server.recorder.sockets[0]
        // The client reads nothing, so the socket's buffers fill (frames are written straight to
        // it while it takes them), then the loop's, and then the queue does: long before 100 MB.
        var result = SendResult.queued
        for _ in 0..<200_000 {
            result = socket.send(binary: [UInt8](repeating: 7, count: 512))
            if result != .queued { break }
        }
        #expect(result == .queueFull)
    }

    @Test func framesWrittenStraightToTheSocketStayWholeWhenItFillsMidFrame() throws {
        let server = try TestServer { $0.outboundQueueBytes = 256 << 10 }
        let client = try server.makeClient()
        _ = try client.upgrade()
        #expect(eventually { server.recorder.sockets.count == 1 })
        let socket = server.recorder.sockets[0]
        // Frames of many sizes while the client reads nothing: the socket fills in the middle of
        // one, whose rest goes through the loop; then the queue fills. The loop's pongs to pings
        // sent meanwhile must not land inside a frame, and no frame may be lost or reordered.
        let count = 600
        let queueFilled = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var generator = SeededGenerator(seed: 11)
            var hasSignalled = false
            for index in 0..<count {
                let size = Int.random(in: 2...40_000, using: &generator)
                let payload = [UInt8(index >> 8), UInt8(index & 0xFF)] + [UInt8](repeating: UInt8(index % 251), count: size - 2)
                while socket.send(binary: payload) == .queueFull {
                    if !hasSignalled { queueFilled.signal(); hasSignalled = true }
                    usleep(500)
                }
            }
            if !hasSignalled { queueFilled.signal() }
        }
        #expect(queueFilled.wait(timeout: .now() + 10) == .success)
        for ping in 0..<20 { try client.sendFrame(.ping, [UInt8(ping)]) }
        var next = 0, pongs = 0
        while next < count || pongs < 20 {
            let frame = try client.readFrame()
            if frame.opcode == .pong {
                #expect(frame.payload == [UInt8(pongs)])
                pongs += 1
                continue
            }
            try #require(frame.opcode == .binary)
            let index = Int(frame.payload[0]) << 8 | Int(frame.payload[1])
            try #require(index == next, "frame \(index) arrived where \(next) was due")
            #expect(frame.payload.dropFirst(2).allSatisfy { $0 == UInt8(index % 251) })
            next += 1
        }
        #expect(socket.send(text: "still open") == .queued)
        #expect(try client.readFrame().payload == .ascii("still open"))
    }

    @Test func invalidUTF8ClosesWith1007() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        try client.sendFrame(.text, [0x48, 0xC0, 0xAF])
        #expect(Self.closeCode(of: try client.readFrame()) == 1007)
        #expect(try client.isClosedByServer())
        #expect(eventually { server.recorder.closes == [.invalidFramePayloadData] })
    }

    @Test func invalidUTF8SplitAcrossFragmentsClosesWith1007() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        try client.sendFrame(.text, [0xE2, 0x82], isFinal: false)
        try client.sendFrame(.continuation, [0x41], isFinal: true)
        #expect(Self.closeCode(of: try client.readFrame()) == 1007)
    }

    @Test func unmaskedClientFrameClosesWith1002() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        try client.send(WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .text, payload: .ascii("bare"))))
        #expect(Self.closeCode(of: try client.readFrame()) == 1002)
        #expect(try client.isClosedByServer())
    }

    @Test func oversizedMessageClosesWith1009() throws {
        let server = try TestServer { $0.webSocket.maxMessageBytes = 16 }
        let client = try server.makeClient()
        _ = try client.upgrade()
        try client.sendFrame(.binary, [UInt8](repeating: 1, count: 10), isFinal: false)
        try client.sendFrame(.continuation, [UInt8](repeating: 1, count: 10), isFinal: true)
        #expect(Self.closeCode(of: try client.readFrame()) == 1009)
    }

    @Test func idleWebSocketIsPingedThenClosed() throws {
        let server = try TestServer { configuration in
            configuration.webSocket.pingInterval = .milliseconds(50)
            configuration.webSocket.idleTimeout = .milliseconds(300)
            configuration.webSocket.closeTimeout = .milliseconds(100)
        }
        let client = try server.makeClient()
        _ = try client.upgrade()
        #expect(try client.readFrame().opcode == .ping)
        var frame = try client.readFrame()
        while frame.opcode == .ping { frame = try client.readFrame() }
        #expect(Self.closeCode(of: frame) == 1001)
        #expect(try client.isClosedByServer())
    }

    @Test func gracefulStopSendsGoingAway() throws {
        let server = try TestServer()
        let client = try server.makeClient()
        _ = try client.upgrade()
        #expect(eventually { server.recorder.sockets.count == 1 })
        let http = server.server
        let stopped = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            http.stop(gracePeriod: .seconds(5))
            stopped.signal()
        }
        #expect(Self.closeCode(of: try client.readFrame()) == 1001)
        try client.sendFrame(.close, WebSocketFrameEncoder.closePayload(code: .goingAway, reason: ""))
        #expect(try client.isClosedByServer())
        #expect(stopped.wait(timeout: .now() + 5) == .success)
    }
}
