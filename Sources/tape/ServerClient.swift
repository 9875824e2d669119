import Foundation
import Glibc

/// A minimal HTTP/1.1 client for commands that act through a running server (`tape rebuild`):
/// one request per connection, `Connection: close`, the body read to the end.
struct ServerClient {
    /// `http://host:port`, without a path.
    let baseURL: String
    let apiKey: String?

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends a request and returns the status and the body parsed as a JSON object.
    func request(_ method: String, _ path: String) throws -> (status: Int, body: [String: Any]) {
        guard baseURL.hasPrefix("http://") else { throw Failure(description: "only http:// servers are supported, got \(baseURL)") }
        let authority = baseURL.dropFirst("http://".count).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        let (host, port) = try Self.split(authority)
        let descriptor = try Self.connect(host: host, port: port)
        defer { close(descriptor) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(authority)\r\nConnection: close\r\nContent-Length: 0\r\n"
        if let apiKey { head += "X-API-Key: \(apiKey)\r\n" }
        head += "\r\n"
        let request = Array(head.utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "sending to \(baseURL) failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Failure(description: "reading from \(baseURL) failed: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            response += buffer[0..<n]
        }
        guard let end = response.firstRange(of: Array("\r\n\r\n".utf8)),
              let statusLine = String(decoding: response[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n").first,
              let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw Failure(description: "\(baseURL) did not answer HTTP")
        }
        let body = Data(response[end.upperBound...])
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        return (status, object)
    }

    private static func split(_ authority: String) throws -> (host: String, port: String) {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            return (host, rest.hasPrefix(":") ? String(rest.dropFirst()) : "80")
        }
        let parts = authority.split(separator: ":", maxSplits: 1).map(String.init)
        guard let host = parts.first, !host.isEmpty else { throw Failure(description: "no host in \(authority)") }
        return (host, parts.count > 1 ? parts[1] : "80")
    }

    private static func connect(host: String, port: String) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, port, &hints, &list)
        guard code == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host):\(port): \(String(cString: gai_strerror(code)))")
        }
        defer { freeaddrinfo(list) }
        var address: UnsafeMutablePointer<addrinfo>? = first
        var lastError = ECONNREFUSED
        while let current = address {
            let descriptor = socket(current.pointee.ai_family, current.pointee.ai_socktype, current.pointee.ai_protocol)
            if descriptor >= 0 {
                if Glibc.connect(descriptor, current.pointee.ai_addr, current.pointee.ai_addrlen) == 0 { return descriptor }
                lastError = errno
                close(descriptor)
            }
            address = current.pointee.ai_next
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }
}
