/// Holds the answer to one in-flight request until its connection takes it; lock-guarded, usable from any thread.
///
/// A responder that answers before returning leaves the response here for the connection to take without a
/// thread hop; one that answers later finds the box marked as waiting and posts the response to the loop.
final class ReplyBox: Sendable {
    private enum State {
        case collecting(HTTPResponse?)
        case awaiting
        case done
    }

    private let state = Locked(State.collecting(nil))
    private let post: @Sendable (HTTPResponse) -> Void

    /// Makes a box; `post` carries a late response to the connection's loop.
    init(post: @escaping @Sendable (HTTPResponse) -> Void) {
        self.post = post
    }

    /// Accepts the response from any thread; only the first one counts.
    func complete(_ response: HTTPResponse) {
        let mustPost = state.withLock { state -> Bool in
            switch state {
            case .collecting(nil):
                state = .collecting(response)
                return false
            case .awaiting:
                state = .done
                return true
            case .collecting, .done:
                return false
            }
        }
        if mustPost { post(response) }
    }

    /// Called by the connection when the responder returns: the response if it came synchronously, else nil (and later ones are posted).
    func takeSynchronousResponse() -> HTTPResponse? {
        state.withLock { state in
            if case .collecting(let response?) = state {
                state = .done
                return response
            }
            state = .awaiting
            return nil
        }
    }

    /// Ignores any response still to come (the request timed out or the connection closed).
    func abandon() {
        state.withLock { $0 = .done }
    }
}
