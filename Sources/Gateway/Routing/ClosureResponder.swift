/// A responder made from a closure, synchronous or deferred; a value type, usable from any thread.
public struct ClosureResponder: Responder {
    private let body: @Sendable (HTTPRequest, RequestContext, Reply) -> Void

    /// A responder that answers at once; the closure runs on the loop thread and must not block.
    public init(_ respond: @escaping @Sendable (HTTPRequest, RequestContext) -> HTTPResponse) {
        body = { request, context, reply in reply.send(respond(request, context)) }
    }

    /// A responder that answers through `Reply`, possibly later from another thread.
    public init(deferred respond: @escaping @Sendable (HTTPRequest, RequestContext, Reply) -> Void) {
        body = respond
    }

    /// Runs the closure.
    public func respond(to request: HTTPRequest, context: RequestContext, reply: Reply) {
        body(request, context, reply)
    }
}
