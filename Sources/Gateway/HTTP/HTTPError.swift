import Foundation

/// An error that reaches an HTTP client: it knows its status and renders `{"error":{"code","message"}}`; usable from any thread.
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The status the response carries.
    public var status: HTTPStatus
    /// A stable machine-readable code such as `header_too_large`.
    public var code: String
    /// A human-readable explanation naming what to fix.
    public var message: String
    /// Extra header fields the response needs (`Retry-After`, `Allow`, `Sec-WebSocket-Version`).
    public var headers: HTTPHeaders

    /// Makes an error with its status, code and message.
    public init(_ status: HTTPStatus, code: String, message: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The JSON error body, `{"error":{"code":"…","message":"…"}}`.
    public var jsonBody: [UInt8] {
        struct Envelope: Encodable {
            struct Detail: Encodable { let code: String; let message: String }
            let error: Detail
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding two strings cannot fail; the fallback only keeps the signature total.
        let data = (try? encoder.encode(Envelope(error: .init(code: code, message: message)))) ?? Data("{}".utf8)
        return Array(data)
    }

    /// The complete response for this error, JSON-typed.
    public var response: HTTPResponse {
        var response = HTTPResponse(status: status, headers: headers, body: jsonBody)
        response.headers.set("Content-Type", "application/json")
        return response
    }

    /// The status and message, for logs.
    public var description: String { "\(status.rawValue) \(code): \(message)" }
}

extension HTTPError {
    /// A 400 for input that does not follow the protocol grammar.
    public static func badRequest(_ message: String, code: String = "bad_request") -> HTTPError {
        HTTPError(.badRequest, code: code, message: message)
    }

    /// A 404 for a path no route matches.
    public static func notFound(_ message: String = "No resource at this path.") -> HTTPError {
        HTTPError(.notFound, code: "not_found", message: message)
    }

    /// The response for any error a handler throws: an `HTTPError` as itself, anything else as a 500 that reveals nothing.
    public static func rendering(_ error: any Error) -> HTTPResponse {
        ((error as? HTTPError) ?? .internalError).response
    }

    /// A 500 that hides the underlying failure from the client.
    public static let internalError = HTTPError(.internalServerError, code: "internal_error", message: "The server failed to answer this request.")
}
