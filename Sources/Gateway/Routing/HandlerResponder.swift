/// Runs a synchronous handler and renders what it throws; immutable, usable from any thread.
struct HandlerResponder: Responder {
    let handler: Router.Handler

    func respond(to request: HTTPRequest, context: RequestContext, reply: Reply) {
        do {
            reply.send(try handler(request, context))
        } catch {
            reply.send(HTTPError.rendering(error))
        }
    }
}
