import EventLog

/// An OpenAPI 3.1 document assembled from pieces each API contributes (path items, schemas, shared responses),
/// served as JSON; a value type, built before the server starts and then only read.
///
/// Pieces are JSON text rather than a Swift model of OpenAPI: the description stays readable next to the handler
/// it describes, and the tests parse the whole document and compare it with what the routes serve.
public struct OpenAPIDocument: Sendable {
    /// `info.title`.
    public var title: String
    /// `info.version`: the API's version, not the OpenAPI version.
    public var version: String
    // (name, JSON) pairs in the order added, so the document reads in the order it was written.
    private var paths: [(String, String)] = []
    private var schemas: [(String, String)] = []
    private var responses: [(String, String)] = []

    /// Makes a document holding the shared error shape: schema `Error` and responses `BadRequest`, `NotFound`, `Gone`.
    public init(title: String = "Tape API", version: String = "1") {
        self.title = title
        self.version = version
        addSchema("Error", """
            {"type":"object","additionalProperties":false,"required":["error"],
             "description":"Every error answer: a stable machine-readable code and a message naming what to fix.",
             "properties":{"error":{"type":"object","additionalProperties":false,"required":["code","message"],
               "properties":{"code":{"type":"string"},"message":{"type":"string"}}}}}
            """)
        addResponse("BadRequest", Self.errorResponse("A parameter is missing, unknown, repeated or malformed; the message names it."))
        addResponse("NotFound", Self.errorResponse("Nothing has this identifier."))
        addResponse("Gone", Self.errorResponse("The cursor's snapshot is no longer kept; restart paging without a cursor."))
    }

    /// A response whose content is the error envelope, for `addResponse`.
    public static func errorResponse(_ description: String) -> String {
        var json = JSONText()
        json.beginObject()
        json.key("description"); json.value(description)
        json.key("content"); json.raw(##"{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}"##)
        json.endObject()
        return json.string
    }

    /// Adds (or replaces) the Path Item Object for `path`, e.g. `/instruments/{token}`; `item` is its JSON.
    public mutating func addPath(_ path: String, _ item: String) {
        Self.set(&paths, path, item)
    }

    /// Adds (or replaces) a schema under `#/components/schemas/name`; `schema` is its JSON.
    public mutating func addSchema(_ name: String, _ schema: String) {
        Self.set(&schemas, name, schema)
    }

    /// Adds (or replaces) a response under `#/components/responses/name`; `response` is its JSON.
    public mutating func addResponse(_ name: String, _ response: String) {
        Self.set(&responses, name, response)
    }

    /// The paths described, in the order added.
    public var pathNames: [String] { paths.map(\.0) }

    /// The whole document as JSON text (each piece keeps the whitespace it was written with).
    public var json: [UInt8] {
        var json = JSONText(capacity: 16_384)
        json.beginObject()
        json.key("openapi"); json.value("3.1.0")
        json.key("info")
        json.beginObject()
        json.key("title"); json.value(title)
        json.key("version"); json.value(version)
        json.endObject()
        json.key("paths"); Self.write(paths, to: &json)
        json.key("components")
        json.beginObject()
        json.key("schemas"); Self.write(schemas, to: &json)
        json.key("responses"); Self.write(responses, to: &json)
        json.endObject()
        json.endObject()
        return json.bytes
    }

    /// Serves the document, as it is now, at `path` (with CORS, so documentation tools on other origins can load it).
    public func register(on router: inout Router, at path: String = "/openapi.json") {
        let body = json
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
