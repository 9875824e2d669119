import Foundation
import Testing
@testable import Gateway

/// Checks JSON values against the subset of JSON Schema the OpenAPI document uses: `$ref`, `type` (one or a list),
/// `enum`, `const`, `required`, `properties`, `additionalProperties`, `items`, `minimum`.
struct SchemaCheck {
    let document: [String: Any]

    /// The problems found, each naming where (`$.items[0].expiry`); empty when the value fits.
    func problems(_ value: Any, against schema: [String: Any], at path: String = "$") -> [String] {
        if let reference = schema["$ref"] as? String {
            guard let target = resolve(reference) else { return ["\(path): \(reference) does not resolve"] }
            return problems(value, against: target, at: path)
        }
        var found: [String] = []
        if let types = schema["type"].map({ $0 as? [String] ?? [$0 as? String ?? ""] }), !types.contains(where: { Self.isOfType(value, $0) }) {
            return ["\(path): \(Self.describe(value)) is not \(types.joined(separator: " or "))"]
        }
        if let choices = schema["enum"] as? [Any], !choices.contains(where: { Self.isEqual($0, value) }) {
            found.append("\(path): \(Self.describe(value)) is not one of \(choices)")
        }
        if let constant = schema["const"], !Self.isEqual(constant, value) { found.append("\(path): \(Self.describe(value)) is not \(constant)") }
        if let minimum = schema["minimum"] as? Double, let number = value as? NSNumber, !Self.isBool(value), number.doubleValue < minimum {
            found.append("\(path): \(number) is below \(minimum)")
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil { found.append("\(path): \(name) is missing") }
            for (name, member) in object.sorted(by: { $0.key < $1.key }) {
                if let property = properties[name] {
                    found += problems(member, against: property, at: "\(path).\(name)")
                } else if schema["additionalProperties"] as? Bool == false {
                    found.append("\(path): \(name) is not in the schema")
                } else if let extra = schema["additionalProperties"] as? [String: Any] {
                    found += problems(member, against: extra, at: "\(path).\(name)")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { found += problems(item, against: items, at: "\(path)[\(index)]") }
        }
        return found
    }

    /// The object a local `$ref` (`#/components/schemas/Instrument`) points at.
    func resolve(_ reference: String) -> [String: Any]? {
        var node: Any? = document
        for part in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
        return node as? [String: Any]
    }

    static func isBool(_ value: Any) -> Bool {
        (value as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false
    }

    static func isOfType(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "null": value is NSNull
        case "boolean": isBool(value)
        case "integer": !isBool(value) && (value as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false
        case "number": !isBool(value) && value is NSNumber
        case "string": value is String
        case "array": value is [Any]
        case "object": value is [String: Any]
        default: false
        }
    }

    static func isEqual(_ lhs: Any, _ rhs: Any) -> Bool {
        (lhs as? NSObject)?.isEqual(rhs as? NSObject) ?? false
    }

    static func describe(_ value: Any) -> String {
        (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])).map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
    }
}

/// A `TapeServer` on an ephemeral loopback port over a fresh data directory, with a known admin key; it keeps the
/// routes its router registered and the OpenAPI document it serves. Stopped and removed on deinit.
final class LiveTapeServer {
    static let adminKey = "admin-key-for-openapi-tests"
    let server: TapeServer
    let directory: String
    let port: Int
    /// Every route the server's router registered, as method and pattern.
    let routes: [(method: HTTPMethod, path: String)]
    /// `GET /openapi.json`, parsed.
    private(set) var document: [String: Any] = [:]

    init(allowsPublicReads: Bool = true) throws {
        directory = NSTemporaryDirectory() + "tape-openapi-\(UUID().uuidString)"
        var settings = TapeServer.Settings()
        settings.dataDirectory = directory
        settings.port = 0
        settings.loopCount = 1
        settings.adminKey = Self.adminKey
        settings.allowsPublicReads = allowsPublicReads
        // The hook runs once every route is in: what it sees is the whole table.
        var routes: [(method: HTTPMethod, path: String)] = []
        server = try TapeServer(settings: settings) { router, _ in routes = router.registeredRoutes }
        self.routes = routes
        try server.start()
        port = try #require(server.port)
        let answer = try send(.get, "/openapi.json")
        document = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
    }

    deinit {
        server.stop(gracePeriod: .zero)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One request on a fresh connection, with the admin key unless `key` says otherwise (nil sends none).
    func send(_ method: HTTPMethod, _ target: String, key: String? = LiveTapeServer.adminKey, body: String? = nil,
              contentType: String = "application/json") throws -> TestResponse {
        let client = try TestClient(port: port, receiveTimeoutSeconds: 30)
        var head = "\(method.rawValue) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        if let key { head += "Authorization: Bearer \(key)\r\n" }
        if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n" }
        try client.send(head + "\r\n" + (body ?? ""))
        return try client.readResponse(isHead: method == .head)
    }

    /// The Operation Object the document gives for a method and route pattern.
    func operation(_ method: HTTPMethod, _ path: String) -> [String: Any]? {
        ((document["paths"] as? [String: Any])?[path] as? [String: Any])?[method.rawValue.lowercased()] as? [String: Any]
    }
}
