/// What a 101 response carries so the connection can switch to WebSocket: how to make the handler; usable from any thread.
public struct WebSocketUpgrade: Sendable {
    /// Makes the connection's handler; called once on the loop thread after the 101 is written.
    let makeHandler: @Sendable () -> any WebSocketHandler
}

extension HTTPResponse {
    /// Validates a WebSocket handshake and returns the 101 that switches this connection to `makeHandler()`'s handler,
    /// or throws the 4xx to send instead (RFC 6455 §4.2).
    public static func webSocket(accepting request: HTTPRequest, protocols: [String] = [],
                                 makeHandler: @escaping @Sendable () -> any WebSocketHandler) throws(HTTPError) -> HTTPResponse {
        var response = try WebSocketHandshake.response(to: request, supportedProtocols: protocols)
        response.webSocketUpgrade = WebSocketUpgrade(makeHandler: makeHandler)
        return response
    }
}
