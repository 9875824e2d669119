/// Answers HTTP requests. Called on an event loop thread: it must return quickly and hand slow work to another
/// thread, which then calls `reply.send(_:)` (the connection holds the answer's place in the pipeline meanwhile).
public protocol Responder: Sendable {
    /// Answers a request by calling `reply.send(_:)` exactly once, now or later, from any thread.
    func respond(to request: HTTPRequest, context: RequestContext, reply: Reply)
}
