import Foundation

/// Validates an opening handshake and builds the server's answer (RFC 6455 §4.2); stateless, usable from any thread.
public enum WebSocketHandshake {
    /// The GUID appended to the client key before hashing (RFC 6455 §1.3).
    static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// The `Sec-WebSocket-Accept` value for a client key: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2 step 5.4).
    public static func acceptValue(forKey key: String) -> String {
        Data(SHA1.hash(Array((key + acceptGUID).utf8))).base64EncodedString()
    }

    /// Whether a request asks to upgrade to WebSocket at all, so a router can tell it from a plain GET.
    public static func isUpgradeRequest(_ request: HTTPRequest) -> Bool {
        request.headers.containsToken("websocket", in: "Upgrade")
    }

    /// Checks every rule of RFC 6455 §4.2.1 and returns the 101 response, or throws the 4xx to send instead.
    ///
    /// - Parameter supportedProtocols: subprotocols this endpoint speaks, in preference order; the first the client offers is chosen.
    public static func response(to request: HTTPRequest, supportedProtocols: [String] = []) throws(HTTPError) -> HTTPResponse {
        // §4.2.1 rule 1: an HTTP/1.1 or higher GET request with a Request-URI.
        guard request.method == .get else {
            throw HTTPError(.methodNotAllowed, code: "websocket_method", message: "A WebSocket handshake must use GET.", headers: ["Allow": "GET"])
        }
        guard request.version.major == 1, request.version.minor >= 1 else {
            throw .badRequest("A WebSocket handshake needs HTTP/1.1.", code: "websocket_version")
        }
        // §4.2.1 rule 2: a Host header field with the server's authority.
        guard let host = request.headers["Host"], !host.isEmpty else {
            throw .badRequest("A WebSocket handshake needs a Host header.", code: "websocket_host")
        }
        // §4.2.1 rule 3: an Upgrade header field containing "websocket", case-insensitively.
        // Without it this is a plain request to a WebSocket endpoint: 426 tells the client what to do (RFC 9110 §15.5.22).
        guard isUpgradeRequest(request) else {
            throw HTTPError(.upgradeRequired, code: "websocket_upgrade", message: "This endpoint speaks WebSocket only; send Upgrade: websocket.",
                            headers: ["Upgrade": "websocket", "Connection": "Upgrade"])
        }
        // §4.2.1 rule 4: a Connection header field including the token "Upgrade", case-insensitively.
        guard request.headers.containsToken("upgrade", in: "Connection") else {
            throw .badRequest("A WebSocket handshake needs Connection: Upgrade.", code: "websocket_connection")
        }
        // §4.2.1 rule 5: a Sec-WebSocket-Key that base64-decodes to 16 bytes.
        guard request.headers.values(for: "Sec-WebSocket-Key").count == 1, let key = request.headers["Sec-WebSocket-Key"],
              let nonce = Data(base64Encoded: key), nonce.count == 16 else {
            throw .badRequest("Sec-WebSocket-Key must be one base64-encoded 16-byte value.", code: "websocket_key")
        }
        // §4.2.1 rule 6: Sec-WebSocket-Version 13; otherwise §4.4 says answer with the versions we do speak.
        guard request.headers["Sec-WebSocket-Version"]?.trimmingOWS() == "13" else {
            throw HTTPError(.upgradeRequired, code: "websocket_version", message: "Only WebSocket version 13 is supported.",
                            headers: ["Sec-WebSocket-Version": "13"])
        }
        // §4.2.1 rule 7: Origin is optional; browsers send it and non-browser clients need not, so any origin is served.
        // §4.2.1 rule 8: Sec-WebSocket-Protocol is optional; choose the first supported one the client lists (§4.2.2 step 5.4).
        let offered = request.headers.values(for: "Sec-WebSocket-Protocol").flatMap { $0.split(separator: ",") }.map { String($0.trimmingOWS()) }
        let chosen = supportedProtocols.first { offered.contains($0) }
        // §4.2.1 rule 9: Sec-WebSocket-Extensions is optional; no extension is implemented, so none is echoed and RSV bits stay 0.
        var headers: HTTPHeaders = ["Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": acceptValue(forKey: key)]
        if let chosen { headers.add("Sec-WebSocket-Protocol", chosen) }
        return HTTPResponse(status: .switchingProtocols, headers: headers, body: [])
    }
}
