/// Why a tick request was refused as a whole (problems with single items are listed in the
/// answer instead). Each case knows the HTTP status a gateway answers with.
public enum TickIngestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Nothing but whitespace.
    case emptyBody
    /// More bytes than `TickIngest.maxBodyBytes`.
    case bodyTooLarge(bytes: Int, limit: Int)
    /// More items than `TickIngest.maxItems`.
    case tooManyItems(limit: Int)
    /// Neither a JSON array nor NDJSON objects.
    case notTicks
    /// The array form is not valid JSON (NDJSON lines are judged one by one instead).
    case malformedJSON(line: Int, column: Int, reason: String)
    /// The `Idempotency-Key` header is empty, too long, or not printable ASCII.
    case invalidIdempotencyKey(String)
    /// The key was used in the last 24 hours for a request with another body.
    case idempotencyKeyReused(key: String)
    /// The log refused the append (closed, or a failed fdatasync): retry later with the same key.
    case logUnavailable(String)

    /// The HTTP status a gateway should answer with.
    public var httpStatus: Int {
        switch self {
        case .emptyBody, .notTicks, .malformedJSON, .invalidIdempotencyKey: 400
        case .bodyTooLarge, .tooManyItems: 413
        case .idempotencyKeyReused: 422
        case .logUnavailable: 503
        }
    }

    /// A stable machine-readable code for the error body.
    public var code: String {
        switch self {
        case .emptyBody: "empty_body"
        case .bodyTooLarge: "body_too_large"
        case .tooManyItems: "too_many_items"
        case .notTicks: "not_ticks"
        case .malformedJSON: "malformed_json"
        case .invalidIdempotencyKey: "invalid_idempotency_key"
        case .idempotencyKeyReused: "idempotency_key_reused"
        case .logUnavailable: "log_unavailable"
        }
    }

    public var description: String {
        switch self {
        case .emptyBody:
            "the body is empty: send a JSON array of ticks or NDJSON, one tick object per line"
        case .bodyTooLarge(let bytes, let limit):
            "the body has \(bytes) bytes; at most \(limit) are accepted: split it into several requests"
        case .tooManyItems(let limit):
            "the body has more than \(limit) ticks: split it into several requests"
        case .notTicks:
            "the body must be a JSON array of tick objects or NDJSON (one tick object per line), starting with '[' or '{'"
        case .malformedJSON(let line, let column, let reason):
            "the body is not valid JSON at line \(line), column \(column): \(reason)"
        case .invalidIdempotencyKey(let reason):
            "the Idempotency-Key header \(reason): use 1 to \(TickIngest.maxKeyLength) printable ASCII characters, e.g. a UUID"
        case .idempotencyKeyReused(let key):
            "Idempotency-Key \"\(key)\" was already used for a different body: use a new key for a new request"
        case .logUnavailable(let reason):
            "the log refused the append (\(reason)); nothing was stored: retry later with the same Idempotency-Key"
        }
    }
}
