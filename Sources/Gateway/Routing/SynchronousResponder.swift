/// A responder that always answers at once: implement `respond(to:context:)` and the callback form comes free.
/// Called on an event loop thread, so the answer must be cheap to compute (an in-memory read model, say).
public protocol SynchronousResponder: Responder {
    /// Returns the response for a request.
    func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse
}

extension SynchronousResponder {
    /// Sends the synchronous answer through the reply.
    public func respond(to request: HTTPRequest, context: RequestContext, reply: Reply) {
        reply.send(respond(to: request, context: context))
    }
}
