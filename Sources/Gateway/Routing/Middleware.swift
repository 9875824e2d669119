/// Code that runs around a responder: it may change the request or context, answer early, or adjust the response
/// through `reply.map(_:)`. Runs on an event loop thread, so like a responder it must not block.
public protocol Middleware: Sendable {
    /// Handles a request, usually by calling `next.respond(to:context:reply:)`.
    func handle(_ request: HTTPRequest, context: RequestContext, reply: Reply, next: any Responder)
}
