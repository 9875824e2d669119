import Projections

extension HTTPError {
    /// A 400 for a query or path parameter that cannot be used; the message names the parameter and what to send.
    public static func invalidParameter(_ name: String, code: String = "invalid_parameter", _ message: String) -> HTTPError {
        HTTPError(.badRequest, code: code, message: message)
    }

    /// A 422 for a well-formed body the current state or the domain's rules refuse (a token no instrument has, an
    /// alert rule whose fields contradict each other): what a schema cannot say, kept apart from malformed input (400).
    public static func unprocessable(_ field: String, code: String = "invalid_value", _ message: String) -> HTTPError {
        HTTPError(.unprocessableContent, code: code, message: message)
    }

    /// The catalog's refusal with the status the catalog assigns it (400 for a bad cursor or limit, 410 for an expired cursor).
    public init(_ error: CatalogError) {
        let code = switch error {
        case .invalidCursor: "invalid_cursor"
        case .expiredCursor: "cursor_expired"
        case .invalidLimit: "invalid_parameter"
        }
        self.init(HTTPStatus(rawValue: error.httpStatus), code: code, message: error.description)
    }
}
