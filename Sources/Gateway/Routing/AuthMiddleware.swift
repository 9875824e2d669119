/// Runs an authentication hook before the handler: it returns the caller's identity (stored in `context.principal`)
/// or throws the error to send, typically 401; immutable, usable from any thread.
public struct AuthMiddleware: Middleware {
    private let authenticate: @Sendable (HTTPRequest) throws(HTTPError) -> String

    /// Makes the middleware around an authentication hook; the hook runs on the loop thread and must not block.
    public init(authenticate: @escaping @Sendable (HTTPRequest) throws(HTTPError) -> String) {
        self.authenticate = authenticate
    }

    /// Authenticates, then passes the request on or answers with the hook's error.
    public func handle(_ request: HTTPRequest, context: RequestContext, reply: Reply, next: any Responder) {
        var context = context
        do throws(HTTPError) {
            context.principal = try authenticate(request)
        } catch {
            reply.send(error)
            return
        }
        next.respond(to: request, context: context, reply: reply)
    }
}

extension HTTPError {
    /// A 401 asking for credentials (RFC 9110 §15.5.2 requires a `WWW-Authenticate` challenge).
    public static func unauthorized(_ message: String = "Valid credentials are required.", scheme: String = "Bearer") -> HTTPError {
        HTTPError(.unauthorized, code: "unauthorized", message: message, headers: ["WWW-Authenticate": scheme])
    }
}
