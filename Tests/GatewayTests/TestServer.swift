import Dispatch
import Foundation
import Testing
@testable import Gateway

/// What the test WebSocket handlers saw, shared with the test thread; lock-guarded.
final class WebSocketRecorder: Sendable {
    private let state = Locked<(sockets: [WebSocket], closes: [WebSocketCloseCode])>(([], []))

    func opened(_ socket: WebSocket) { state.withLock { $0.sockets.append(socket) } }
    func closed(_ code: WebSocketCloseCode) { state.withLock { $0.closes.append(code) } }
    var sockets: [WebSocket] { state.withLock { $0.sockets } }
    var closes: [WebSocketCloseCode] { state.withLock { $0.closes } }
}

/// Echoes every message back; runs on its connection's loop.
final class EchoHandler: WebSocketHandler {
    let recorder: WebSocketRecorder

    init(recorder: WebSocketRecorder) { self.recorder = recorder }

    func onOpen(_ socket: WebSocket) { recorder.opened(socket) }
    func onText(_ text: String, socket: WebSocket) { socket.send(text: text) }
    func onBinary(_ data: [UInt8], socket: WebSocket) { socket.send(binary: data) }
    func onClose(code: WebSocketCloseCode, reason: String) { recorder.closed(code) }
}

/// Polls a condition until it holds or a short deadline passes; for effects that land on another thread.
func eventually(within timeout: Duration = .seconds(5), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.005)
    }
    return condition()
}

/// A running server on an ephemeral loopback port with the routes the integration tests use.
final class TestServer {
    let server: HTTPServer
    let port: Int
    let recorder = WebSocketRecorder()
    /// Replies parked by `/parked` until the test releases them.
    let parked = Locked<[Reply]>([])

    init(_ configure: (inout HTTPServer.Configuration) -> Void = { _ in }) throws {
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        configuration.loopCount = 2
        configuration.tickInterval = .milliseconds(20)
        configure(&configuration)
        var router = Router()
        router.use(RequestIDMiddleware())
        router.get("/hello") { _, _ in .text("hello") }
        router.post("/echo") { request, _ in HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body) }
        router.get("/instruments/{token}", middleware: [CORSMiddleware()]) { _, context in
            .json(Array("{\"token\":\"\(context.parameter("token") ?? "")\"}".utf8))
        }
        router.on(.get, "/later", deferred: { _, _, reply in
            DispatchQueue.global().async { reply.send(.text("later")) }
        })
        let parked = self.parked
        router.on(.get, "/parked", deferred: { _, _, reply in parked.withLock { $0.append(reply) } })
        router.get("/stream") { _, _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: .stream { writer in
                DispatchQueue.global().async {
                    for part in ["alpha ", "beta ", "gamma"] { writer.write(part) }
                    writer.finish()
                }
            })
        }
        router.get("/stream-now") { _, _ in
            HTTPResponse(status: .ok, headers: [:], body: .stream { writer in
                writer.write("at once")
                writer.finish()
            })
        }
        let recorder = self.recorder
        router.webSocket("/ws") { _, _ in EchoHandler(recorder: recorder) }
        server = HTTPServer(configuration: configuration, responder: router.makeResponder())
        try server.start()
        port = try #require(server.port)
    }

    func makeClient() throws -> TestClient { try TestClient(port: port) }

    deinit { server.stop(gracePeriod: .zero) }
}
