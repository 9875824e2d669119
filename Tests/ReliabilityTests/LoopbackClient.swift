import Foundation
@testable import Gateway

/// An answer read off the wire: status, headers (names lowercased) and the body as JSON when it is JSON.
struct WireAnswer {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
}

/// Why a loopback exchange gave up (a refused connection, a reset, a timeout — the server was killed).
struct LoopbackError: Error, CustomStringConvertible {
    var description: String
}

/// One request per connection (`Connection: close`), so an answer ends where the server closes:
/// the crash tests never have to reason about a half-read keep-alive stream after a kill.
/// Each call opens its own socket, so any thread may use it.
struct LoopbackClient: Sendable {
    let port: Int
    var timeoutSeconds = 20

    /// Sends one request and reads the whole answer; throws when the connection fails or times out.
    func send(_ method: String, _ target: String, key: String? = nil, headers: [String: String] = [:], body: String = "") throws -> WireAnswer {
        let socket = try Socket.makeConnected(host: "127.0.0.1", port: port)
        defer { socket.close() }
        try socket.setReceiveTimeout(seconds: timeoutSeconds)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let key { head += "X-API-Key: \(key)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PATCH" {
            head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        try socket.writeAll(Array((head + "\r\n" + body).utf8))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
            guard case .completed(let count) = result else { throw LoopbackError(description: "\(method) \(target): timed out") }
            if count == 0 { break }
            received += chunk[0..<count]
        }
        return try Self.parse(received, request: "\(method) \(target)")
    }

    /// Splits a closed connection's bytes into status, headers and body (Content-Length or to the end).
    static func parse(_ bytes: [UInt8], request: String) throws -> WireAnswer {
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0...$0 + 3].elementsEqual([13, 10, 13, 10]) }) else {
            throw LoopbackError(description: "\(request): no complete answer (\(bytes.count) bytes)")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw LoopbackError(description: "\(request): bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if let length = headers["content-length"].flatMap(Int.init) {
            guard body.count >= length else { throw LoopbackError(description: "\(request): body cut at \(body.count) of \(length) bytes") }
            body = Array(body.prefix(length))
        }
        return WireAnswer(status: status, headers: headers, body: body)
    }
}

/// A `/ws/v2` session over a real socket: the handshake, masked text frames out, JSON messages in.
/// Owned by one thread at a time.
final class StreamSocket {
    private let socket: Socket
    private var pending: [UInt8] = []

    /// Connects and upgrades; throws with the server's answer when the upgrade is refused.
    init(port: Int, key: String?, timeoutSeconds: Int = 10) throws {
        socket = try Socket.makeConnected(host: "127.0.0.1", port: port)
        try socket.setReceiveTimeout(seconds: timeoutSeconds)
        let query = key.map { "?api_key=\($0)" } ?? ""
        try socket.writeAll(Array(("GET /ws/v2\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: cmVsaWFiaWxpdHkgdGVzdA==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8))
        while true {
            if let end = pending.indices.dropLast(3).first(where: { pending[$0...$0 + 3].elementsEqual([13, 10, 13, 10]) }) {
                let head = String(decoding: pending[..<end], as: UTF8.self)
                pending.removeFirst(end + 4)
                // No close here: a throwing init of a fully initialized object still runs deinit, which closes.
                guard head.hasPrefix("HTTP/1.1 101") else {
                    throw LoopbackError(description: "upgrade refused: \(head.prefix(while: { $0 != "\r" }))")
                }
                return
            }
            try receive()
        }
    }

    deinit { socket.close() }

    /// Sends a JSON text message.
    func send(_ text: String) throws {
        try socket.writeAll(WebSocketFrameEncoder.encode(WebSocketFrame(isFinal: true, opcode: .text, payload: Array(text.utf8)),
                                                         maskingKey: [0x11, 0x22, 0x33, 0x44]))
    }

    /// The next text message as a JSON object; throws on close, timeout or a reset.
    func next() throws -> [String: Any] {
        while true {
            var decoder = WebSocketFrameDecoder(maxFrameBytes: 1 << 24, requiresMask: false)
            decoder.append(pending)
            if let frame = try decoder.next() {
                pending.removeFirst(WebSocketFrameEncoder.encode(frame).count)
                switch frame.opcode {
                case .text: return (try? JSONSerialization.jsonObject(with: Data(frame.payload))) as? [String: Any] ?? [:]
                case .close: throw LoopbackError(description: "the server closed the session")
                default: continue
                }
            }
            try receive()
        }
    }

    /// Messages until one satisfies `isLast` (included), or the deadline passes.
    func messages(until isLast: ([String: Any]) -> Bool, deadline: ContinuousClock.Instant) throws -> [[String: Any]] {
        var seen: [[String: Any]] = []
        while ContinuousClock.now < deadline {
            let message = try next()
            seen.append(message)
            if isLast(message) { return seen }
        }
        throw LoopbackError(description: "deadline passed after \(seen.count) messages")
    }

    private func receive() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
        guard case .completed(let count) = result, count > 0 else { throw LoopbackError(description: "session socket closed or timed out") }
        pending += chunk[0..<count]
    }
}
