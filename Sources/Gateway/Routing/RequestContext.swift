/// Per-request information that middleware fills in and handlers read; a value type, usable from any thread.
public struct RequestContext: Sendable {
    /// The request id, echoed in `X-Request-Id` (set by `RequestIDMiddleware`; empty without it).
    public var requestID: String
    /// Values captured by `{name}` segments of the matched route, percent-decoded.
    public var pathParameters: [String: String]
    /// The peer as `ip:port`.
    public var remoteAddress: String
    /// Who the auth hook says is calling, once `AuthMiddleware` has run.
    public var principal: String?
    /// The event loop running this connection; use it to come back to the connection's thread.
    public let eventLoop: EventLoop?

    /// Makes a context; the server makes one per request, tests may make their own.
    public init(requestID: String = "", pathParameters: [String: String] = [:], remoteAddress: String = "unknown", principal: String? = nil, eventLoop: EventLoop? = nil) {
        self.requestID = requestID
        self.pathParameters = pathParameters
        self.remoteAddress = remoteAddress
        self.principal = principal
        self.eventLoop = eventLoop
    }

    /// The value of a path parameter, or nil when the route has no such segment.
    public func parameter(_ name: String) -> String? {
        pathParameters[name]
    }
}
