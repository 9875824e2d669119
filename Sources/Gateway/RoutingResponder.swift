/// Finds the route for a request and runs it; answers 404 or 405 as JSON errors. Immutable, usable from any thread.
struct RoutingResponder: Responder {
    let routes: [Router.Route]

    func respond(to request: HTTPRequest, context: RequestContext, reply: Reply) {
        var allowed: [HTTPMethod] = []
        var fallback: (Router.Route, [String: String])?
        for route in routes {
            guard let parameters = route.pattern.match(request.path) else { continue }
            if route.method == request.method {
                run(route, parameters: parameters, request: request, context: context, reply: reply)
                return
            }
            // RFC 9110 §9.3.2: HEAD is GET without the content; the connection drops the body.
            if request.method == .head, route.method == .get, fallback == nil { fallback = (route, parameters) }
            allowed.append(route.method)
        }
        if let (route, parameters) = fallback {
            run(route, parameters: parameters, request: request, context: context, reply: reply)
        } else if allowed.isEmpty {
            reply.send(.notFound("No resource at \(request.path)."))
        } else {
            // RFC 9110 §15.5.6: a 405 MUST list the allowed methods.
            if allowed.contains(.get) { allowed.append(.head) }
            let list = allowed.map(\.rawValue).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: ", ")
            reply.send(HTTPError(.methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed on \(request.path).", headers: ["Allow": list]))
        }
    }

    private func run(_ route: Router.Route, parameters: [String: String], request: HTTPRequest, context: RequestContext, reply: Reply) {
        var context = context
        context.pathParameters = parameters
        route.responder.respond(to: request, context: context, reply: reply)
    }
}
