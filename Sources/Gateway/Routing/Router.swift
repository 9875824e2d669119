/// A mutable table of routes and middleware, frozen by `makeResponder()` into an immutable responder; a value type.
public struct Router: Sendable {
    /// A handler that answers at once on the loop thread; a thrown `HTTPError` becomes its JSON response, anything else a 500.
    public typealias Handler = @Sendable (HTTPRequest, RequestContext) throws -> HTTPResponse
    /// A handler that answers through `Reply`, possibly later from another thread.
    public typealias DeferredHandler = @Sendable (HTTPRequest, RequestContext, Reply) -> Void
    /// A handler run in a new task off the loop, for work that awaits (database, services).
    public typealias AsyncHandler = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

    /// One method and pattern with its handler and middleware; immutable, usable from any thread.
    struct Route: Sendable {
        let method: HTTPMethod
        let pattern: RoutePattern
        let middleware: [any Middleware]
        let handler: any Responder

        /// The handler wrapped in the route's middleware, first listed outermost.
        var responder: any Responder { MiddlewareResponder.chain(middleware, around: handler) }
    }

    private var routes: [Route] = []
    private var middleware: [any Middleware] = []

    /// Makes an empty router.
    public init() {}

    /// Adds middleware that runs for every request, matched or not, in the order added.
    public mutating func use(_ middleware: any Middleware) {
        self.middleware.append(middleware)
    }

    /// Adds a route answered synchronously, with middleware for this route only (such as CORS on read endpoints).
    public mutating func on(_ method: HTTPMethod, _ path: String, middleware: [any Middleware] = [], handler: @escaping Handler) {
        add(method, path, middleware: middleware, responder: HandlerResponder(handler: handler))
    }

    /// Adds a route answered through `Reply`, for handlers that finish their work on another thread.
    public mutating func on(_ method: HTTPMethod, _ path: String, middleware: [any Middleware] = [], deferred handler: @escaping DeferredHandler) {
        add(method, path, middleware: middleware, responder: ClosureResponder(deferred: handler))
    }

    /// Adds a route whose handler runs in its own task, so it may await without holding the loop.
    public mutating func on(_ method: HTTPMethod, _ path: String, middleware: [any Middleware] = [], async handler: @escaping AsyncHandler) {
        on(method, path, middleware: middleware, deferred: { request, context, reply in
            Task {
                do {
                    reply.send(try await handler(request, context))
                } catch {
                    reply.send(HTTPError.rendering(error))
                }
            }
        })
    }

    /// Adds a GET route (which also answers HEAD, without a body).
    public mutating func get(_ path: String, middleware: [any Middleware] = [], handler: @escaping Handler) {
        on(.get, path, middleware: middleware, handler: handler)
    }

    /// Adds a POST route.
    public mutating func post(_ path: String, middleware: [any Middleware] = [], handler: @escaping Handler) {
        on(.post, path, middleware: middleware, handler: handler)
    }

    /// Adds a PUT route.
    public mutating func put(_ path: String, middleware: [any Middleware] = [], handler: @escaping Handler) {
        on(.put, path, middleware: middleware, handler: handler)
    }

    /// Adds a PATCH route.
    public mutating func patch(_ path: String, middleware: [any Middleware] = [], handler: @escaping Handler) {
        on(.patch, path, middleware: middleware, handler: handler)
    }

    /// Adds a DELETE route.
    public mutating func delete(_ path: String, middleware: [any Middleware] = [], handler: @escaping Handler) {
        on(.delete, path, middleware: middleware, handler: handler)
    }

    /// Adds a WebSocket endpoint: the handshake is validated (RFC 6455 §4.2.1) and each connection gets its own handler.
    public mutating func webSocket(_ path: String, protocols: [String] = [], middleware: [any Middleware] = [],
                                   makeHandler: @escaping @Sendable (HTTPRequest, RequestContext) -> any WebSocketHandler) {
        on(.get, path, middleware: middleware) { request, context in
            try HTTPResponse.webSocket(accepting: request, protocols: protocols) { makeHandler(request, context) }
        }
    }

    /// Adds the routes `build` declares under a path prefix, each wrapped in the group's middleware (outside its own).
    /// Middleware `use`d inside the group applies to the group's routes only.
    public mutating func group(_ prefix: String = "", middleware: [any Middleware] = [], _ build: (inout Router) -> Void) {
        var inner = Router()
        build(&inner)
        let prefixPattern = RoutePattern(prefix)
        for route in inner.routes {
            routes.append(Route(method: route.method, pattern: RoutePattern(segments: prefixPattern.segments + route.pattern.segments),
                                middleware: middleware + inner.middleware + route.middleware, handler: route.handler))
        }
    }

    private mutating func add(_ method: HTTPMethod, _ path: String, middleware: [any Middleware], responder: any Responder) {
        routes.append(Route(method: method, pattern: RoutePattern(path), middleware: middleware, handler: responder))
    }

    /// Every route added so far as its method and pattern (`/instruments/{token}`), in the order added; tests check
    /// each one against the OpenAPI document.
    var registeredRoutes: [(method: HTTPMethod, path: String)] {
        routes.map { ($0.method, $0.pattern.description) }
    }

    /// Freezes the routes and middleware into a responder for `HTTPServer`.
    public func makeResponder() -> any Responder {
        // A stable sort: among equally specific patterns, the first added wins.
        // Ordered by each pattern's segment kinds (literal before parameter, position by position): a strict weak
        // order, so `/instruments/list` comes before `/instruments/{token}` however many routes are in between.
        let ordered = routes.enumerated().sorted { lhs, rhs in
            let (a, b) = (lhs.element.pattern.specificityKey, rhs.element.pattern.specificityKey)
            if a != b { return a.lexicographicallyPrecedes(b) }
            return lhs.offset < rhs.offset
        }.map(\.element)
        let frozen = ordered.map { RoutingResponder.FrozenRoute(route: $0, responder: $0.responder) }
        return MiddlewareResponder.chain(middleware, around: RoutingResponder(routes: frozen))
    }
}
