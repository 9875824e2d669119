/// An HTTP protocol version from the request line (RFC 9112 §2.3); a value type, usable from any thread.
public struct HTTPVersion: Hashable, Sendable, CustomStringConvertible {
    /// The major version digit.
    public let major: Int
    /// The minor version digit.
    public let minor: Int

    /// Makes a version from its two digits.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// The version as written on the wire, `HTTP/1.1`.
    public var description: String { "HTTP/\(major).\(minor)" }
}
