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
        #expect(Set(paths.keys) == ["/instruments/list", "/instruments/stats", "/instruments/search", "/instruments/{token}"])
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

    @Test func laterAPIsCanAppendPathsAndReplaceThem() throws {
        var document = OpenAPIDocument(title: "T", version: "2")
        InstrumentsAPI.describe(in: &document)
        document.addPath("/alerts", #"{"get":{"responses":{"200":{"description":"ok"}}}}"#)
        document.addPath("/alerts", #"{"post":{"responses":{"201":{"description":"made"}}}}"#)
        #expect(document.pathNames == ["/instruments/list", "/instruments/stats", "/instruments/search", "/instruments/{token}", "/alerts"])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(document.json)) as? [String: Any])
        let alerts = try #require((parsed["paths"] as? [String: [String: Any]])?["/alerts"])
        #expect(Set(alerts.keys) == ["post"])
        #expect((parsed["info"] as? [String: String]) == ["title": "T", "version": "2"])
    }
}
