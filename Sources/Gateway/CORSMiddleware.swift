/// Adds `Access-Control-Allow-Origin` to responses so browsers on other origins may read them; meant for read
/// endpoints. Immutable, usable from any thread.
public struct CORSMiddleware: Middleware {
    /// The allowed origin; `*` allows any (Fetch standard, CORS protocol).
    public let allowedOrigin: String

    /// Makes the middleware.
    public init(allowedOrigin: String = "*") {
        self.allowedOrigin = allowedOrigin
    }

    /// Passes the request on and marks its response.
    public func handle(_ request: HTTPRequest, context: RequestContext, reply: Reply, next: any Responder) {
        let origin = allowedOrigin
        next.respond(to: request, context: context, reply: reply.map { response in
            var response = response
            response.headers.set("Access-Control-Allow-Origin", origin)
            return response
        })
    }
}
