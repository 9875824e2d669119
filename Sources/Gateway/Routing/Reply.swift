/// The way a responder answers: call `send(_:)` once, now or later, from any thread.
///
/// A value wrapping a thread-safe callback; middleware wraps it with `map(_:)` to adjust the response on its way out.
public struct Reply: Sendable {
    private let deliver: @Sendable (HTTPResponse) -> Void

    /// Wraps a delivery callback; the server makes these, tests may capture responses with one.
    public init(_ deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.deliver = deliver
    }

    /// Sends the response; calls after the first are ignored by the connection.
    public func send(_ response: HTTPResponse) {
        deliver(response)
    }

    /// Sends an error rendered as its JSON envelope with its status.
    public func send(_ error: HTTPError) {
        deliver(error.response)
    }

    /// A reply that transforms the response before passing it on.
    public func map(_ transform: @escaping @Sendable (HTTPResponse) -> HTTPResponse) -> Reply {
        let deliver = self.deliver
        return Reply { deliver(transform($0)) }
    }
}
