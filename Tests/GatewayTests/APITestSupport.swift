import EventLog
import Foundation
import Projections
import Testing
@testable import Gateway

/// A synthetic catalog for the API tests: a few hundred instruments over four exchanges and four types,
/// with trading symbols that repeat (so order falls back to the token) and every ninth one delisted.
enum APIFixtures {
    static let today = CalendarDay(year: 2026, month: 11, day: 26)
    static let exchanges = ["NSE", "BSE", "NFO", "MCX"]
    static let types = ["EQ", "FUT", "CE", "PE"]
    static let underlyings = ["NIFTY", "BANKNIFTY", "RELIANCE", "TCS", "INFY", "GOLD", "TATA \"MOTORS\""]
    static let firstToken: UInt32 = 1_000

    static func instrument(_ i: Int) -> Instrument {
        let exchange = exchanges[i % 4], type = types[(i / 4) % 4], underlying = underlyings[i % underlyings.count]
        let expiry = type == "EQ" ? nil : CalendarDay(rawValue: today.rawValue - 3 + Int32(i % 20))
        let symbol = type == "EQ" ? underlying : "\(underlying)\(expiry!.rawValue % 100)\(type)"
        return Instrument(token: firstToken + UInt32(i), exchangeToken: UInt32(i), tradingSymbol: symbol,
                          name: "\(underlying) Ltd", expiry: expiry, strike: type == "CE" || type == "PE" ? Double(100 + i) + 0.5 : 0,
                          tickSize: 0.05, lotSize: 25, instrumentType: type,
                          segment: type == "EQ" ? exchange : "\(exchange)-\(type)", exchange: exchange)
    }

    /// Whether fixture instrument `i` is delisted after `makeCatalog`.
    static func isDelisted(_ i: Int) -> Bool { i % 9 == 0 }

    /// Lists `count` instruments, then delists every ninth, folding the entries straight into a catalog.
    static func makeCatalog(count: Int = 300, retainedSnapshots: Int = 8, cursorLifetime: Duration = .seconds(300),
                            clock: @escaping @Sendable () -> Timestamp = { .zero }) throws -> InstrumentCatalog {
        let catalog = InstrumentCatalog(retainedSnapshots: retainedSnapshots, cursorLifetime: cursorLifetime, clock: clock)
        var events = (0..<count).map { Event.instrumentListed(instrument($0)) }
        events += (0..<count).filter(isDelisted).map { Event.instrumentDelisted(token: firstToken + UInt32($0)) }
        for (offset, event) in events.enumerated() {
            try catalog.apply(LogEntry(offset: UInt64(offset), time: Timestamp(seconds: 1_790_000_000 + Double(offset) + 0.25), event: event))
        }
        catalog.publish(through: UInt64(events.count))
        return catalog
    }

    /// Every record the catalog holds (active or not), for recounting with `CatalogFilter.matches`.
    static func records(in catalog: InstrumentCatalog, count: Int = 300) -> [InstrumentRecord] {
        (0..<count).compactMap { catalog.instrument(token: firstToken + UInt32($0)) }
    }

    /// Tokens in catalog order (trading symbol, then token) of the records `filter` matches.
    static func expectedTokens(_ filter: CatalogFilter, in catalog: InstrumentCatalog) -> [Int] {
        records(in: catalog).filter(filter.matches).sorted {
            $0.instrument.tradingSymbol == $1.instrument.tradingSymbol ? $0.token < $1.token : $0.instrument.tradingSymbol < $1.instrument.tradingSymbol
        }.map { Int($0.token) }
    }

    static func makeRouter(_ catalog: InstrumentCatalog) -> Router {
        var router = Router()
        InstrumentsAPI(catalog: catalog, today: { today }).register(on: &router)
        return router
    }
}

/// A response with its body parsed as JSON; every API answer must parse, so `init` fails the test otherwise.
struct APIResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var json: Any

    init(status: Int, headers: HTTPHeaders, body: [UInt8]) throws {
        self.status = status
        self.headers = headers
        self.body = body
        json = try JSONSerialization.jsonObject(with: Data(body))
        #expect(headers["Content-Type"] == "application/json")
    }

    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var items: [[String: Any]] { object["items"] as? [[String: Any]] ?? [] }
    var tokens: [Int] { items.compactMap { $0["instrument_token"] as? Int } }
    var nextCursor: String? { object["next_cursor"] as? String }
    var total: Int? { object["total"] as? Int }
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String { (object["error"] as? [String: Any])?["message"] as? String ?? "" }
}

/// Something the tests can send GET requests to: the router in-process, or a live server over a socket.
protocol APITarget {
    func get(_ target: String) throws -> APIResponse
}

/// Drives a frozen router in-process; the API's handlers answer synchronously.
struct InProcessAPI: APITarget {
    let responder: any Responder

    init(_ catalog: InstrumentCatalog) {
        responder = APIFixtures.makeRouter(catalog).makeResponder()
    }

    func get(_ target: String) throws -> APIResponse {
        let captured = Locked<HTTPResponse?>(nil)
        responder.respond(to: HTTPRequest(method: .get, target: target, headers: ["Host": "h", "Origin": "https://charts.example"]),
                          context: RequestContext(), reply: Reply { response in captured.withLock { $0 = response } })
        let response = try #require(captured.withLock { $0 })
        guard case .bytes(let body) = response.body else { throw TestClientError(description: "streamed body") }
        return try APIResponse(status: response.status.rawValue, headers: response.headers, body: body)
    }
}

/// A real server on an ephemeral loopback port serving the API, with one keep-alive client.
final class LiveAPI: APITarget {
    let server: HTTPServer
    let client: TestClient

    init(_ catalog: InstrumentCatalog) throws {
        var configuration = HTTPServer.Configuration()
        configuration.port = 0
        configuration.loopCount = 1
        configuration.tickInterval = .milliseconds(20)
        server = HTTPServer(configuration: configuration, responder: APIFixtures.makeRouter(catalog).makeResponder())
        try server.start()
        client = try TestClient(port: try #require(server.port))
    }

    func get(_ target: String) throws -> APIResponse {
        try client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\nOrigin: https://charts.example\r\n\r\n")
        let response = try client.readResponse()
        return try APIResponse(status: response.status, headers: response.headers, body: response.body)
    }

    deinit { server.stop(gracePeriod: .zero) }
}

extension APITarget {
    /// Follows `next_cursor` from the first page to the last, returning every page.
    func allPages(_ query: String) throws -> [APIResponse] {
        var pages = [try get("/instruments/list?\(query)")]
        while let cursor = pages.last?.nextCursor {
            try #require(pages.count < 1_000, "paging does not end")
            pages.append(try get("/instruments/list?\(query)&cursor=\(cursor)"))
        }
        return pages
    }
}
