/// The content of a response: complete bytes, or a stream produced later from any thread; usable from any thread.
public enum HTTPResponseBody: Sendable {
    /// Content known in full; sent with `Content-Length`.
    case bytes([UInt8])
    /// Content produced over time; sent chunked (RFC 9112 §7.1). The closure runs once on the connection's loop
    /// after the head is written, and may keep the writer to send from any thread until it calls `finish()`.
    /// It is not called at all when there is no content to send (a HEAD request, or a 204/304 status).
    case stream(@Sendable (HTTPBodyWriter) -> Void)
}
