import Foundation
import Projections
import Testing
@testable import Gateway

/// The OpenAPI document: valid JSON, every served path described, and its schemas agreeing with what is served.
@Suite struct APIOpenAPIDocumentTests {
    let catalog: InstrumentCatalog
    let api: InProcessAPI
    let document: [String: Any]

    init() throws {
        catalog = try APIFixtures.makeCatalog()
        api = InProcessAPI(catalog)
        let response = try api.get("/openapi.json")
        #expect(response.status == 200)
        document = response.object
    }

    func schema(_ name: String) throws -> [String: Any] {
        let components = try #require(document["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        return try #require(schemas[name] as? [String: Any], "no schema \(name)")
    }

    /// Checks a served object against a closed schema: exactly the schema's properties, all required.
    func expectShape(_ object: [String: Any], matches name: String) throws {
        let schema = try schema(name)
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(schema["additionalProperties"] as? Bool == false, "\(name) is closed")
        #expect(Set(object.keys) == Set(properties.keys), "\(name) properties")
        #expect(Set(try #require(schema["required"] as? [String])) == Set(properties.keys), "\(name) required")
    }

    @Test func isOpenAPI31ListingEveryServedPathWithGet() throws {
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        #expect(Set(paths.keys) == ["/instruments/list", "/instruments/stats", "/instruments/search", "/instruments/{token}", "/openapi.json"])
        #expect(paths.values.allSatisfy { Set($0.keys) == ["get"] })
    }

    @Test func everyReferenceResolves() throws {
        let text = String(decoding: try api.get("/openapi.json").body, as: UTF8.self)
        let references = text.components(separatedBy: "\"$ref\":\"#/").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(references.count > 10)
        for reference in references {
            var node: Any? = document
            for part in reference.split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
            #expect(node != nil, "\(reference) does not resolve")
        }
    }

    @Test func everyDocumentedStatusIsOneTheEndpointAnswers() throws {
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        let documented = paths.mapValues { Set(($0["get"]?["responses"] as? [String: Any])?.keys.map { $0 } ?? []) }
        #expect(documented["/instruments/list"] == ["200", "400", "410"])
        #expect(documented["/instruments/stats"] == ["200", "400"])
        #expect(documented["/instruments/search"] == ["200", "400"])
        #expect(documented["/instruments/{token}"] == ["200", "400", "404"])
    }

    @Test func listParametersAreExactlyTheOnesAccepted() throws {
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        let parameters = try #require(paths["/instruments/list"]?["get"]?["parameters"] as? [[String: Any]])
        #expect(Set(parameters.compactMap { $0["name"] as? String }) == [
            "exchange", "segment", "type", "q", "active", "expiry_from", "expiry_to", "limit", "cursor", "offset",
        ])
    }

    @Test func servedObjectsHaveExactlyTheSchemasProperties() throws {
        let page = try api.get("/instruments/list?active=any&limit=200")
        try expectShape(page.object, matches: "InstrumentPage")
        for item in page.items { try expectShape(item, matches: "Instrument") }
        try expectShape(try api.get("/instruments/stats").object, matches: "InstrumentStats")
        try expectShape(try api.get("/instruments/search?q=tcs").object, matches: "InstrumentSearchResult")
        try expectShape(try api.get("/instruments/1005").object, matches: "Instrument")
        let error = try api.get("/instruments/77").object
        try expectShape(error, matches: "Error")
    }

    @Test func nullableFieldsAreTypeLists() throws {
        let instrument = try #require(try schema("Instrument")["properties"] as? [String: [String: Any]])
        #expect(instrument["expiry"]?["type"] as? [String] == ["string", "null"])
        #expect(instrument["delisted_at"]?["type"] as? [String] == ["number", "null"])
        let page = try #require(try schema("InstrumentPage")["properties"] as? [String: [String: Any]])
        #expect(page["next_cursor"]?["type"] as? [String] == ["string", "null"])
    }

    @Test func operationsOnOnePathShareItsPathItemAndReplaceTheirOwnMethodOnly() throws {
        var document = OpenAPIDocument(title: "T", version: "2")
        InstrumentsAPI.describe(in: &document)
        document.addOperation(.get, "/alerts", #"{"responses":{"200":{"description":"ok"}}}"#)
        document.addOperation(.post, "/alerts", #"{"responses":{"201":{"description":"made"}}}"#)
        document.addOperation(.get, "/alerts", #"{"responses":{"200":{"description":"listed"}}}"#)
        #expect(document.pathNames == ["/instruments/list", "/instruments/stats", "/instruments/search", "/instruments/{token}", "/alerts"])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(document.json)) as? [String: Any])
        let alerts = try #require((parsed["paths"] as? [String: [String: [String: Any]]])?["/alerts"])
        #expect(Set(alerts.keys) == ["get", "post"])
        #expect(((alerts["get"]?["responses"] as? [String: Any])?["200"] as? [String: String])?["description"] == "listed")
        #expect((parsed["info"] as? [String: String]) == ["title": "T", "version": "2"])
    }

    @Test func readsBehindAKeyDeclareTheSchemesAnd401() throws {
        var document = OpenAPIDocument()
        InstrumentsAPI.describe(in: &document, access: .anyValidKey)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(document.json)) as? [String: Any])
        let list = try #require((parsed["paths"] as? [String: [String: [String: Any]]])?["/instruments/list"]?["get"])
        #expect(list["security"] as? [[String: [String]]] == [["bearerKey": []], ["headerKey": []], ["queryKey": []]])
        #expect((list["responses"] as? [String: Any])?["401"] != nil)
        #expect((list["responses"] as? [String: Any])?["403"] == nil)
        let schemes = try #require((parsed["components"] as? [String: Any])?["securitySchemes"] as? [String: [String: String]])
        #expect(schemes["bearerKey"]?["scheme"] == "bearer")
        #expect(schemes["headerKey"]?["name"] == "X-API-Key")
        #expect(schemes["queryKey"]?["name"] == "api_key")
    }
}

/// The document `tape serve` serves, against the routes it registers and the answers it gives over real sockets.
@Suite(.serialized) struct TapeServerOpenAPITests {
    /// A route added without its description fails here, so the document cannot fall behind the router.
    @Test(arguments: [true, false])
    func everyRegisteredRouteIsDescribedAndNothingElse(allowsPublicReads: Bool) throws {
        let live = try LiveTapeServer(allowsPublicReads: allowsPublicReads)
        #expect(live.routes.count >= 16)
        for route in live.routes {
            #expect(live.operation(route.method, route.path) != nil, "\(route.method) \(route.path) is not in the document")
        }
        let paths = try #require(live.document["paths"] as? [String: [String: Any]])
        let registered = Set(live.routes.map { "\($0.method.rawValue.lowercased()) \($0.path)" })
        let documented = Set(paths.flatMap { path, item in item.keys.map { "\($0) \(path)" } })
        #expect(documented == registered)
        // The reads need a key exactly when public reads are off; the document says so.
        let list = try #require(live.operation(.get, "/instruments/list"))
        #expect((list["security"] != nil) == !allowsPublicReads)
        #expect(((list["responses"] as? [String: Any])?["401"] != nil) == !allowsPublicReads)
    }

    /// The key can ride in the query, where the endpoints' own parameter checks must let it pass.
    @Test func aKeyInTheQueryOpensReadsBehindAuth() throws {
        let live = try LiveTapeServer(allowsPublicReads: false)
        try expectDocumented(live, .get, "/instruments/list?limit=5", key: nil, status: 401)
        try expectDocumented(live, .get, "/instruments/list?limit=5&api_key=\(LiveTapeServer.adminKey)", key: nil, status: 200)
        try expectDocumented(live, .get, "/instruments/stats?api_key=\(LiveTapeServer.adminKey)", key: nil, status: 200)
        try expectDocumented(live, .get, "/log/stats?api_key=\(LiveTapeServer.adminKey)", key: nil, status: 200)
    }

    @Test func everyReferenceInTheServedDocumentResolves() throws {
        let live = try LiveTapeServer()
        let check = SchemaCheck(document: live.document)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: live.document), as: UTF8.self)
            .replacingOccurrences(of: "\\/", with: "/")
        let references = Set(text.components(separatedBy: "\"$ref\":\"").dropFirst().map { String($0.prefix { $0 != "\"" }) })
        #expect(references.count > 20)
        for reference in references { #expect(check.resolve(reference) != nil, "\(reference) does not resolve") }
    }

    /// Sends `method target` and checks the answer against the document: a status it lists for that operation,
    /// the media type it gives for that status, and a body its schema admits. Returns the parsed JSON body.
    @discardableResult
    func expectDocumented(_ live: LiveTapeServer, _ method: HTTPMethod, _ target: String, route: String? = nil,
                          key: String? = LiveTapeServer.adminKey, body: String? = nil, contentType: String = "application/json",
                          status expected: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let answer = try live.send(method, target, key: key, body: body, contentType: contentType)
        #expect(answer.status == expected, "\(method) \(target): \(answer.text)", sourceLocation: sourceLocation)
        let path = route ?? String(target.prefix { $0 != "?" })
        let operation = try #require(live.operation(method, path), "\(method) \(path) is not documented", sourceLocation: sourceLocation)
        let responses = try #require(operation["responses"] as? [String: Any])
        var response = try #require(responses[String(answer.status)] as? [String: Any],
                                    "\(method) \(path) answered \(answer.status), which is not documented", sourceLocation: sourceLocation)
        let check = SchemaCheck(document: live.document)
        if let reference = response["$ref"] as? String { response = try #require(check.resolve(reference)) }
        let content = try #require(response["content"] as? [String: [String: Any]], sourceLocation: sourceLocation)
        let mediaType = String(answer.headers["Content-Type"]?.prefix { $0 != ";" } ?? "")
        let schema = try #require(content[mediaType]?["schema"] as? [String: Any], "\(mediaType) is not documented", sourceLocation: sourceLocation)
        guard mediaType == "application/json" else { return [:] }
        let json = try JSONSerialization.jsonObject(with: Data(answer.body), options: [.fragmentsAllowed])
        #expect(check.problems(json, against: schema) == [], "\(method) \(target)", sourceLocation: sourceLocation)
        return json as? [String: Any] ?? [:]
    }

    @Test func operationsAnswerWhatTheDocumentSays() throws {
        let live = try LiveTapeServer()
        try expectDocumented(live, .get, "/health", status: 200)
        try expectDocumented(live, .get, "/health/live", status: 200)
        try expectDocumented(live, .get, "/health/ready", status: 200)
        try expectDocumented(live, .get, "/metrics", status: 200)
        try expectDocumented(live, .get, "/openapi.json", status: 200)
        try expectDocumented(live, .get, "/openapi.json?x=1", status: 400)
        try expectDocumented(live, .get, "/log/stats", status: 200)
        try expectDocumented(live, .get, "/log/stats", key: nil, status: 401)
    }

    @Test func usersAndKeysAnswerWhatTheDocumentSays() throws {
        let live = try LiveTapeServer()
        try expectDocumented(live, .post, "/users", key: nil, body: #"{"name":"ana"}"#, status: 401)
        try expectDocumented(live, .post, "/users", key: "not-a-key", body: #"{"name":"ana"}"#, status: 401)
        try expectDocumented(live, .post, "/users", body: #"{"name":"ana","admin":"yes"}"#, status: 400)
        try expectDocumented(live, .post, "/users", body: #"{"name":""}"#, status: 400)
        let user = try expectDocumented(live, .post, "/users", body: #"{"name":"ana"}"#, status: 201)
        let userID = try #require(user["id"] as? Int)
        let issued = try expectDocumented(live, .post, "/users/\(userID)/keys", route: "/users/{id}/keys", body: #"{"label":"laptop"}"#, status: 201)
        let key = try #require(issued["key"] as? String)
        try expectDocumented(live, .post, "/users/\(userID)/keys", route: "/users/{id}/keys", status: 201)
        try expectDocumented(live, .post, "/users/999/keys", route: "/users/{id}/keys", status: 404)
        try expectDocumented(live, .post, "/users/abc/keys", route: "/users/{id}/keys", status: 400)
        try expectDocumented(live, .post, "/users", key: key, body: #"{"name":"eve"}"#, status: 403)
        try expectDocumented(live, .get, "/log/stats", key: key, status: 403)
        let keyID = try #require(issued["key_id"] as? Int)
        try expectDocumented(live, .delete, "/keys/\(keyID)", route: "/keys/{id}", key: key, status: 200)
        try expectDocumented(live, .delete, "/keys/123456", route: "/keys/{id}", status: 404)
        let tooLarge = String(repeating: "x", count: (1 << 20) + 1)
        try expectDocumented(live, .post, "/users", body: tooLarge, status: 413)
    }

    @Test func instrumentCommandsAnswerWhatTheDocumentSays() throws {
        let live = try LiveTapeServer()
        let infy = #"{"instrument_token":408065,"tradingsymbol":"INFY","name":"INFOSYS","exchange":"NSE","expiry":null}"#
        try expectDocumented(live, .post, "/instruments", key: nil, body: infy, status: 401)
        try expectDocumented(live, .post, "/instruments", body: infy, status: 201)
        try expectDocumented(live, .post, "/instruments", body: infy, status: 409)
        try expectDocumented(live, .post, "/instruments", body: #"{"instrument_token":1,"tradingsymbol":"X","exchange":"NSE","colour":"red"}"#, status: 400)
        try expectDocumented(live, .post, "/instruments", body: #"{"instrument_token":1,"tradingsymbol":"X","exchange":"NSE","expiry":"2026-+1-01"}"#, status: 400)
        try expectDocumented(live, .patch, "/instruments/408065", route: "/instruments/{token}", body: #"{"lot_size":5}"#, status: 200)
        let unchanged = try expectDocumented(live, .patch, "/instruments/408065", route: "/instruments/{token}", body: #"{"lot_size":5}"#, status: 200)
        #expect(unchanged["first_offset"] is NSNull)
        try expectDocumented(live, .patch, "/instruments/408065", route: "/instruments/{token}", body: #"{"instrument_token":408065}"#, status: 400)
        try expectDocumented(live, .get, "/instruments/408065", route: "/instruments/{token}", key: nil, status: 200)
        try expectDocumented(live, .delete, "/instruments/408065", route: "/instruments/{token}", status: 200)
        try expectDocumented(live, .delete, "/instruments/408065", route: "/instruments/{token}", status: 404)
        try expectDocumented(live, .patch, "/instruments/1", route: "/instruments/{token}", body: "{}", status: 404)
        let csv = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n"
            + "408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE\nnope,1,BAD,\"BAD\",0,,0,0.05,1,EQ,NSE,NSE\n"
        let summary = try expectDocumented(live, .post, "/instruments/import", body: csv, contentType: "text/csv", status: 200)
        #expect(summary["listed"] as? Int == 1)
        try expectDocumented(live, .post, "/instruments/import", body: "", contentType: "text/csv", status: 400)
    }

    /// A literal route owns its path: a method it does not serve is a 405 there, not a request to the parameter
    /// route beside it (`PATCH /instruments/search` is not an update of instrument "search").
    @Test func aMethodALiteralRouteDoesNotServeIs405() throws {
        let live = try LiveTapeServer()
        let answer = try live.send(.patch, "/instruments/search", body: "{}")
        #expect(answer.status == 405)
        #expect(answer.headers["Allow"] == "GET, HEAD, OPTIONS")
    }
}
