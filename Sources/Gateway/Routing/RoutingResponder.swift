/// Finds the route for a request and runs it; answers 404, 405 and OPTIONS itself. Immutable, usable from any thread.
struct RoutingResponder: Responder {
    /// A route with its middleware chain built once, when the router is frozen.
    struct FrozenRoute: Sendable {
        let route: Router.Route
        let responder: any Responder
    }

    let routes: [FrozenRoute]

    func respond(to request: HTTPRequest, context: RequestContext, reply: Reply) {
        var allowed: [HTTPMethod] = []
        var fallback: (FrozenRoute, [String: String])?
        var firstMatch: (FrozenRoute, [String: String])?
        let segments = request.path.split(separator: "/")
        // The most specific pattern that matches names the resource (routes are sorted that way). A less specific one
        // that matches too is another resource: `PATCH /instruments/search` is a 405, not `/instruments/{token}`.
        var resource: RoutePattern?
        for frozen in routes {
            guard let parameters = frozen.route.pattern.match(segments: segments) else { continue }
            if let resource, !frozen.route.pattern.hasSameShape(as: resource) { continue }
            resource = frozen.route.pattern
            if frozen.route.method == request.method {
                run(frozen.responder, parameters: parameters, request: request, context: context, reply: reply)
                return
            }
            // RFC 9110 §9.3.2: HEAD is GET without the content; the connection drops the body.
            if request.method == .head, frozen.route.method == .get, fallback == nil { fallback = (frozen, parameters) }
            if firstMatch == nil { firstMatch = (frozen, parameters) }
            allowed.append(frozen.route.method)
        }
        if let (frozen, parameters) = fallback {
            run(frozen.responder, parameters: parameters, request: request, context: context, reply: reply)
            return
        }
        guard let (matched, parameters) = firstMatch else {
            reply.send(.notFound("No resource at \(request.path)."))
            return
        }
        if allowed.contains(.get) { allowed.append(.head) }
        allowed.append(.options)
        let list = allowed.map(\.rawValue).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: ", ")
        if request.method == .options {
            // RFC 9110 §9.3.7: OPTIONS describes the resource. It runs through the route's middleware (not its
            // handler) so `CORSMiddleware` there can answer a browser's preflight.
            let describe = ClosureResponder { _, _ in HTTPResponse(status: .noContent, headers: ["Allow": list]) }
            run(MiddlewareResponder.chain(matched.route.middleware, around: describe), parameters: parameters, request: request, context: context, reply: reply)
        } else {
            // RFC 9110 §15.5.6: a 405 MUST list the allowed methods.
            reply.send(HTTPError(.methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed on \(request.path).", headers: ["Allow": list]))
        }
    }

    private func run(_ responder: any Responder, parameters: [String: String], request: HTTPRequest, context: RequestContext, reply: Reply) {
        var context = context
        context.pathParameters = parameters
        responder.respond(to: request, context: context, reply: reply)
    }
}
