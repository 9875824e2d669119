import Foundation

extension HTTPServer {
    /// Everything an operator can tune about the server; a value type, usable from any thread.
    public struct Configuration: Sendable {
        /// The address to listen on (`127.0.0.1`, `0.0.0.0`, `::`).
        public var host = "127.0.0.1"
        /// The TCP port; 0 lets the system pick a free one (read it back from `HTTPServer.port`).
        public var port = 8080
        /// How many event loop threads to run; one per core by default.
        public var loopCount = ProcessInfo.processInfo.activeProcessorCount
        /// Request size limits.
        public var limits = HTTPRequestParser.Limits()
        /// The most open connections; more are answered 503 with `Retry-After` and closed.
        public var maxConnections = 10_000
        /// The `Retry-After` seconds sent with a 503 at the connection cap.
        public var retryAfterSeconds = 1
        /// How long a connection may stay silent between requests (or mid-request) before a 408 and close.
        public var idleTimeout: Duration = .seconds(60)
        /// How long a client may take to send a whole request head once it has started; then 408 and close.
        public var headerTimeout: Duration = .seconds(10)
        /// How long a responder may take to answer before the client gets 503 and the connection closes.
        public var responseTimeout: Duration = .seconds(30)
        /// WebSocket limits and timeouts.
        public var webSocket = WebSocketSettings()
        /// The most bytes queued from other threads for one connection (streamed bodies, WebSocket sends).
        public var outboundQueueBytes = 4 << 20
        /// How long `stop()` lets in-flight requests finish before closing what is left.
        public var shutdownGracePeriod: Duration = .seconds(10)
        /// How often each loop checks timeouts; timeouts fire within one tick of their deadline.
        public var tickInterval: Duration = .milliseconds(250)
        /// The `Server` header value; empty sends none.
        public var serverName = "Tape"
        /// The listen(2) backlog.
        public var backlog: Int32 = 1024

        /// Makes the default configuration.
        public init() {}
    }

    /// WebSocket limits and timeouts; a value type, usable from any thread.
    public struct WebSocketSettings: Sendable {
        /// The largest single frame payload; larger closes with 1009.
        public var maxFrameBytes = 1 << 20
        /// The largest message after reassembly; larger closes with 1009.
        public var maxMessageBytes = 1 << 20
        /// How long a connection may go without receiving anything before it is closed with 1001.
        public var idleTimeout: Duration = .seconds(120)
        /// How long without traffic before the server pings, so a quiet but healthy client stays open; nil sends no pings.
        public var pingInterval: Duration? = .seconds(30)
        /// How long to wait for the peer's close frame after sending ours before dropping the connection.
        public var closeTimeout: Duration = .seconds(5)

        /// Makes the default settings.
        public init() {}
    }
}
