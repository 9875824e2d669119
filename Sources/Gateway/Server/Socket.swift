/// A TCP socket file descriptor; a plain value owned by whichever thread holds it (a connection's loop, or a test).
///
/// Every libc call lives in `Socket+Glibc.swift`, behind one helper that retries EINTR and reports EAGAIN as a value.
struct Socket: Sendable, Hashable {
    /// The underlying descriptor.
    let fileDescriptor: Int32
}
