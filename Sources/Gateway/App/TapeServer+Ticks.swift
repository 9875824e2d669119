import EventLog
import Services

/// `POST /ticks`: ticks from outside, validated per item, appended in one batch, idempotent
/// under an `Idempotency-Key` (also across restarts: the key's marker is in the same batch).
extension TapeServer {
    func registerTickIngest(on router: inout Router) {
        router.on(.post, "/ticks", deferred: { [unowned self] request, _, reply in
            // Parsing a large body and waiting for fdatasync must not hold an event loop.
            self.ingestQueue.async {
                do throws(HTTPError) {
                    reply.send(try self.ingestTicks(request))
                } catch {
                    reply.send(error)
                }
            }
        })
    }

    /// Authenticates (any key), ingests the body and renders the answer.
    private func ingestTicks(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        _ = try caller(of: request)
        let result: IngestResult
        do {
            result = try ingest.ingest(body: request.body, idempotencyKey: request.headers["Idempotency-Key"])
        } catch {
            throw HTTPError(HTTPStatus(rawValue: error.httpStatus), code: error.code, message: error.description)
        }
        var response = HTTPResponse.json(Array(result.json.utf8), status: HTTPStatus(rawValue: result.httpStatus))
        if result.isReplay { response.headers.set("Idempotent-Replayed", "true") }
        return response
    }
}
