import Foundation
@testable import Gateway

/// A response as a test client read it off the wire.
struct TestResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why a test client gave up.
struct TestClientError: Error, CustomStringConvertible {
    var description: String
}

/// A blocking loopback client with a receive timeout, so a broken server fails a test instead of hanging it.
/// Owned by the test that made it.
final class TestClient {
    let socket: Socket
    private var buffer: [UInt8] = []

    init(port: Int, receiveTimeoutSeconds: Int = 5) throws {
        socket = try Socket.makeConnected(host: "127.0.0.1", port: port)
        try socket.setReceiveTimeout(seconds: receiveTimeoutSeconds)
    }

    deinit { socket.close() }

    func send(_ text: String) throws { try socket.writeAll(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws { try socket.writeAll(bytes) }

    /// Reads once more into the buffer; false at end-of-file or reset.
    @discardableResult
    func readMore() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let result: IOResult<Int>
        do {
            result = try chunk.withUnsafeMutableBytes { try socket.read(into: $0) }
        } catch GatewayError.systemCall(_, ECONNRESET) {
            return false
        }
        switch result {
        case .wouldBlock: throw TestClientError(description: "timed out waiting for the server")
        case .completed(0): return false
        case .completed(let count):
            buffer += chunk[0..<count]
            return true
        }
    }

    /// Reads exactly `count` bytes.
    func readBytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try readMore() else { throw TestClientError(description: "connection closed after \(buffer.count) of \(count) bytes") }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[0..<count])
    }

    /// Reads one CRLF-terminated line without its CRLF.
    func readLine() throws -> String {
        while true {
            if let index = buffer.indices.dropFirst().first(where: { buffer[$0 - 1] == 0x0D && buffer[$0] == 0x0A }) {
                let line = String(decoding: buffer[0..<(index - 1)], as: UTF8.self)
                buffer.removeFirst(index + 1)
                return line
            }
            guard try readMore() else { throw TestClientError(description: "connection closed mid-line") }
        }
    }

    /// Reads one response; `isHead` says the request was HEAD, so no content follows whatever the headers say.
    func readResponse(isHead: Bool = false) throws -> TestResponse {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw TestClientError(description: "bad status line \(statusLine.debugDescription)")
        }
        var headers = HTTPHeaders()
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw TestClientError(description: "bad header \(line)") }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].trimmingOWS()))
        }
        var body: [UInt8] = []
        if isHead || (100..<200).contains(status) || status == 204 || status == 304 {
            // No content.
        } else if let length = headers["Content-Length"].flatMap(Int.init) {
            body = try readBytes(length)
        } else if headers["Transfer-Encoding"] == "chunked" {
            while true {
                guard let size = Int(try readLine().prefix { $0 != ";" }, radix: 16) else { throw TestClientError(description: "bad chunk size") }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    break
                }
                body += try readBytes(size)
                _ = try readBytes(2)
            }
        } else {
            body = try readUntilClosed()
        }
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// Reads everything until the server closes.
    func readUntilClosed() throws -> [UInt8] {
        while try readMore() {}
        defer { buffer = [] }
        return buffer
    }

    /// Whether the server has closed the connection (nothing more arrives but end-of-file).
    func isClosedByServer() throws -> Bool {
        try readUntilClosed().isEmpty
    }

    /// Reads one (unmasked) server frame.
    func readFrame() throws -> WebSocketFrame {
        var decoder = WebSocketFrameDecoder(maxFrameBytes: 1 << 24, requiresMask: false)
        var consumed = 0
        while true {
            decoder = WebSocketFrameDecoder(maxFrameBytes: 1 << 24, requiresMask: false)
            decoder.append(buffer)
            if let frame = try decoder.next() {
                consumed = WebSocketFrameEncoder.encode(frame).count
                buffer.removeFirst(consumed)
                return frame
            }
            guard try readMore() else { throw TestClientError(description: "connection closed before a frame") }
        }
    }

    /// Sends a masked client frame, as RFC 6455 §5.3 requires of clients.
    func sendFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], isFinal: Bool = true, mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]) throws {
        try send(WebSocketFrameEncoder.encode(WebSocketFrame(isFinal: isFinal, opcode: opcode, payload: payload), maskingKey: mask))
    }

    /// Performs the opening handshake by hand and checks the 101.
    func upgrade(path: String = "/ws") throws -> TestResponse {
        try send("GET \(path) HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        return try readResponse()
    }
}
