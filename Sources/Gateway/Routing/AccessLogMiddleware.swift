/// One line of the access log; a value type, usable from any thread.
public struct AccessLogEntry: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The request target.
    public var target: String
    /// The response status.
    public var status: HTTPStatus
    /// The request id (empty unless `RequestIDMiddleware` runs first).
    public var requestID: String
    /// The peer as `ip:port`.
    public var remoteAddress: String
    /// The time from the request reaching this middleware until its response left it.
    public var duration: Duration
}

/// Reports every answered request to a hook; immutable, usable from any thread. The hook runs on whichever thread
/// replied (often the loop), so it must be quick — hand lines to a logger queue.
public struct AccessLogMiddleware: Middleware {
    private let log: @Sendable (AccessLogEntry) -> Void
    private let now: @Sendable () -> ContinuousClock.Instant

    /// Makes the middleware; inject `now` for deterministic durations in tests.
    public init(now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }, log: @escaping @Sendable (AccessLogEntry) -> Void) {
        self.log = log
        self.now = now
    }

    /// Passes the request on and logs its response.
    public func handle(_ request: HTTPRequest, context: RequestContext, reply: Reply, next: any Responder) {
        let started = now()
        let log = self.log, now = self.now
        next.respond(to: request, context: context, reply: reply.map { response in
            log(AccessLogEntry(method: request.method, target: request.target, status: response.status,
                               requestID: context.requestID, remoteAddress: context.remoteAddress, duration: now() - started))
            return response
        })
    }
}
