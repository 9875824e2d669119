/// Lets browsers on other origins read responses (the Fetch standard's CORS protocol): adds
/// `Access-Control-Allow-Origin` and answers preflight requests. Meant for read endpoints; list it before any auth
/// middleware, since browsers send preflights without credentials. Immutable, usable from any thread.
public struct CORSMiddleware: Middleware {
    /// The allowed origin; `*` allows any.
    public let allowedOrigin: String
    /// The methods a preflight is told are allowed.
    public let allowedMethods: [HTTPMethod]
    /// How long a browser may cache a preflight answer, in seconds.
    public let maxAgeSeconds: Int

    /// Makes the middleware.
    public init(allowedOrigin: String = "*", allowedMethods: [HTTPMethod] = [.get, .head, .options], maxAgeSeconds: Int = 600) {
        self.allowedOrigin = allowedOrigin
        self.allowedMethods = allowedMethods
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// Answers a preflight, or passes the request on and marks its response.
    public func handle(_ request: HTTPRequest, context: RequestContext, reply: Reply, next: any Responder) {
        if request.method == .options, request.headers["Access-Control-Request-Method"] != nil {
            var headers: HTTPHeaders = [
                "Access-Control-Allow-Origin": allowedOrigin,
                "Access-Control-Allow-Methods": allowedMethods.map(\.rawValue).joined(separator: ", "),
                "Access-Control-Max-Age": String(maxAgeSeconds),
            ]
            // Echoing the requested headers allows them; the endpoints this guards are read-only.
            if let requested = request.headers["Access-Control-Request-Headers"] { headers.add("Access-Control-Allow-Headers", requested) }
            reply.send(HTTPResponse(status: .noContent, headers: headers))
            return
        }
        let origin = allowedOrigin
        next.respond(to: request, context: context, reply: reply.map { response in
            var response = response
            response.headers.set("Access-Control-Allow-Origin", origin)
            return response
        })
    }
}
