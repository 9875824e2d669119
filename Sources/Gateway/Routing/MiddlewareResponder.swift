/// A responder that runs one middleware in front of the next responder; immutable, usable from any thread.
struct MiddlewareResponder: Responder {
    let middleware: any Middleware
    let next: any Responder

    /// Wraps `responder` in `middleware`, the first of the list outermost.
    static func chain(_ middleware: [any Middleware], around responder: any Responder) -> any Responder {
        middleware.reversed().reduce(responder) { next, middleware in MiddlewareResponder(middleware: middleware, next: next) }
    }

    func respond(to request: HTTPRequest, context: RequestContext, reply: Reply) {
        middleware.handle(request, context: context, reply: reply, next: next)
    }
}
