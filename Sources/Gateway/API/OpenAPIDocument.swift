import EventLog

/// An OpenAPI 3.1 document assembled from pieces each API contributes (operations, schemas, shared responses),
/// served as JSON; a value type, built before the server starts and then only read.
///
/// Pieces are JSON text rather than a Swift model of OpenAPI: the description stays readable next to the handler
/// it describes, and the tests parse the whole document and compare it with what the routes serve.
public struct OpenAPIDocument: Sendable {
    /// Who may call an operation, which decides its `security` and its 401 and 403 answers; a value, usable from any thread.
    public enum Access: Sendable {
        /// Anyone, without a key.
        case anyone
        /// Any valid key; none or a bad one is a 401.
        case anyValidKey
        /// A key with the right to do this (the admin key, or the user concerned): 401 without a valid key, 403 with another.
        case keyWithRights

        /// `"security":[…],` for the start of an operation object: a bearer token, an `X-API-Key` header or an
        /// `api_key` query parameter, any one will do. Empty for `anyone`.
        public var security: String {
            self == .anyone ? "" : #""security":[{"bearerKey":[]},{"headerKey":[]},{"queryKey":[]}],"#
        }

        /// The `"401":…,` (and `"403":…,`) entries for the start of an operation's `responses` object.
        public var responses: String {
            switch self {
            case .anyone: ""
            case .anyValidKey: ##""401":{"$ref":"#/components/responses/Unauthorized"},"##
            case .keyWithRights:
                ##""401":{"$ref":"#/components/responses/Unauthorized"},"403":{"$ref":"#/components/responses/Forbidden"},"##
            }
        }
    }

    /// `info.title`.
    public var title: String
    /// `info.version`: the API's version, not the OpenAPI version.
    public var version: String
    // Entries in the order added, so the document reads in the order it was written.
    // Each path's operations are (lowercased method, JSON) pairs.
    private var paths: [(path: String, operations: [(String, String)])] = []
    private var schemas: [(String, String)] = []
    private var responses: [(String, String)] = []
    private var securitySchemes: [(String, String)] = []

    /// Makes a document holding what every API shares: schema `Error`, the error responses (`BadRequest`,
    /// `Unauthorized`, `Forbidden`, `NotFound`, `Conflict`, `Gone`, `ContentTooLarge`, `ServiceUnavailable`) and the
    /// three ways to send a key (security schemes `bearerKey`, `headerKey` and `queryKey`).
    public init(title: String = "Tape API", version: String = "1") {
        self.title = title
        self.version = version
        addSchema("Error", """
            {"type":"object","additionalProperties":false,"required":["error"],
             "description":"Every error answer: a stable machine-readable code and a message naming what to fix.",
             "properties":{"error":{"type":"object","additionalProperties":false,"required":["code","message"],
               "properties":{"code":{"type":"string"},"message":{"type":"string"}}}}}
            """)
        addResponse("BadRequest", Self.errorResponse("A parameter or the body is missing, unknown, repeated or malformed; the message names it."))
        addResponse("Unauthorized", """
            {"description":"No key, or one that is not valid (revoked, mistyped).",
             "headers":{"WWW-Authenticate":{"schema":{"type":"string"},"description":"The scheme to authenticate with: Bearer."}},
             "content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}
            """)
        addResponse("Forbidden", Self.errorResponse("The key is valid but lacks the right: the admin key, or the user concerned."))
        addResponse("NotFound", Self.errorResponse("Nothing has this identifier."))
        addResponse("Conflict", Self.errorResponse("The request contradicts the current state; the message says how to proceed."))
        addResponse("Gone", Self.errorResponse("The cursor's snapshot is no longer kept; restart paging without a cursor."))
        addResponse("ContentTooLarge", Self.errorResponse("The body is larger than 1 MiB; the connection closes after this answer."))
        addResponse("ServiceUnavailable", Self.errorResponse("The log refused the append (disk full, closing); retry later."))
        addSecurityScheme("bearerKey", """
            {"type":"http","scheme":"bearer","description":"An API key as a bearer token: Authorization: Bearer <key>."}
            """)
        addSecurityScheme("headerKey", """
            {"type":"apiKey","in":"header","name":"X-API-Key","description":"An API key in the X-API-Key header."}
            """)
        addSecurityScheme("queryKey", """
            {"type":"apiKey","in":"query","name":"\(QueryParameters.apiKeyName)",
             "description":"An API key as a query parameter, for clients that cannot set headers; it lands in access logs, so prefer a header."}
            """)
    }

    /// A response whose content is the error envelope, for `addResponse`.
    public static func errorResponse(_ description: String) -> String {
        var json = JSONText()
        json.beginObject()
        json.key("description"); json.value(description)
        json.key("content"); json.raw(jsonContent("Error"))
        json.endObject()
        return json.string
    }

    /// A Content object for JSON of the schema `#/components/schemas/name`, for a response's or a request body's `content`.
    public static func jsonContent(_ schema: String) -> String {
        ##"{"application/json":{"schema":{"$ref":"#/components/schemas/\##(schema)"}}}"##
    }

    /// Adds (or replaces) the Operation Object for `method` on `path` (e.g. `/instruments/{token}`); `operation` is its
    /// JSON. Operations on one path share its Path Item, so each API describes only the methods it serves.
    public mutating func addOperation(_ method: HTTPMethod, _ path: String, _ operation: String) {
        let key = method.rawValue.lowercased()
        guard let index = paths.firstIndex(where: { $0.path == path }) else {
            paths.append((path, [(key, operation)]))
            return
        }
        Self.set(&paths[index].operations, key, operation)
    }

    /// Adds (or replaces) a schema under `#/components/schemas/name`; `schema` is its JSON.
    public mutating func addSchema(_ name: String, _ schema: String) {
        Self.set(&schemas, name, schema)
    }

    /// Adds (or replaces) a response under `#/components/responses/name`; `response` is its JSON.
    public mutating func addResponse(_ name: String, _ response: String) {
        Self.set(&responses, name, response)
    }

    /// Adds (or replaces) a security scheme under `#/components/securitySchemes/name`; `scheme` is its JSON.
    public mutating func addSecurityScheme(_ name: String, _ scheme: String) {
        Self.set(&securitySchemes, name, scheme)
    }

    /// The paths described, in the order added.
    public var pathNames: [String] { paths.map(\.path) }

    /// Every operation described, as method and path, in the order added.
    public var operations: [(method: HTTPMethod, path: String)] {
        paths.flatMap { entry in entry.operations.map { (HTTPMethod(rawValue: $0.0.uppercased()), entry.path) } }
    }

    /// The whole document as JSON text (each piece keeps the whitespace it was written with).
    public var json: [UInt8] {
        var json = JSONText(capacity: 65_536)
        json.beginObject()
        json.key("openapi"); json.value("3.1.0")
        json.key("info")
        json.beginObject()
        json.key("title"); json.value(title)
        json.key("version"); json.value(version)
        json.endObject()
        json.key("paths")
        json.beginObject()
        for (path, operations) in paths {
            json.key(dynamic: path); Self.write(operations, to: &json)
        }
        json.endObject()
        json.key("components")
        json.beginObject()
        json.key("schemas"); Self.write(schemas, to: &json)
        json.key("responses"); Self.write(responses, to: &json)
        json.key("securitySchemes"); Self.write(securitySchemes, to: &json)
        json.endObject()
        json.endObject()
        return json.bytes
    }

    /// Serves the document, as it is now and describing itself, at `path` (with CORS, so documentation tools on
    /// other origins can load it). Anyone may read it: it tells how to call the API, and nothing a key protects.
    public func register(on router: inout Router, at path: String = "/openapi.json") {
        var document = self
        document.addOperation(.get, path, """
            {"operationId":"getOpenAPIDocument","summary":"This document: every endpoint, parameter, answer and error.",
              "responses":{
                "200":{"description":"The OpenAPI 3.1 document.","content":{"application/json":{"schema":{"type":"object"}}}},
                "400":{"$ref":"#/components/responses/BadRequest"}}}
            """)
        let body = document.json
        router.get(path, middleware: [CORSMiddleware()]) { request, _ in
            _ = try QueryParameters(request, allowed: [])
            return .json(body)
        }
    }

    private static func set(_ entries: inout [(String, String)], _ name: String, _ value: String) {
        if let index = entries.firstIndex(where: { $0.0 == name }) {
            entries[index].1 = value
        } else {
            entries.append((name, value))
        }
    }

    private static func write(_ entries: [(String, String)], to json: inout JSONText) {
        json.beginObject()
        for (name, value) in entries {
            json.key(dynamic: name); json.raw(value)
        }
        json.endObject()
    }
}
