/// A response to send: status, header fields and content; a value type, usable from any thread.
public struct HTTPResponse: Sendable {
    /// The response status.
    public var status: HTTPStatus
    /// Header fields; `Date`, `Server`, `Content-Length` / `Transfer-Encoding` and `Connection` are added when serialized.
    public var headers: HTTPHeaders
    /// The content, sent in full or streamed.
    public var body: HTTPResponseBody
    /// Set on a 101 made by `webSocket(accepting:protocols:makeHandler:)`: the connection switches to WebSocket.
    var webSocketUpgrade: WebSocketUpgrade?

    /// Makes a response with a complete body.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    /// Makes a response with any kind of body.
    public init(status: HTTPStatus, headers: HTTPHeaders, body: HTTPResponseBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// An `application/json` response from already-encoded JSON bytes.
    public static func json(_ bytes: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: bytes)
    }
}
