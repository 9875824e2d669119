/// The application's side of one WebSocket connection.
///
/// Every callback runs on the connection's event loop thread, one at a time, so an implementation needs no lock
/// for its own state; it must not block. To send from elsewhere, keep the `WebSocket` handle from `onOpen`.
public protocol WebSocketHandler: AnyObject {
    /// The handshake is done; keep `socket` to send from any thread.
    func onOpen(_ socket: WebSocket)
    /// A complete text message arrived (already validated as UTF-8).
    func onText(_ text: String, socket: WebSocket)
    /// A complete binary message arrived.
    func onBinary(_ data: [UInt8], socket: WebSocket)
    /// The connection closed, cleanly or not (1006 when it dropped without a close frame); called once.
    func onClose(code: WebSocketCloseCode, reason: String)
}

extension WebSocketHandler {
    /// Does nothing by default.
    public func onOpen(_ socket: WebSocket) {}
    /// Does nothing by default.
    public func onText(_ text: String, socket: WebSocket) {}
    /// Does nothing by default.
    public func onBinary(_ data: [UInt8], socket: WebSocket) {}
    /// Does nothing by default.
    public func onClose(code: WebSocketCloseCode, reason: String) {}
}
