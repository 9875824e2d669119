import EventLog
import Projections

/// `GET /quotes` and `GET /candles`, answered from the quotes and candles projections'
/// published state. Immutable, usable from any thread; handlers run on the loop thread
/// (in-memory reads).
public struct MarketDataAPI: Sendable {
    /// The most tokens one `GET /quotes` may ask for.
    public static let maxQuoteTokens = 500
    /// The default and largest `limit` of `GET /candles`.
    public static let defaultCandleLimit = 1_000
    public static let maxCandleLimit = 10_000

    private let quotes: QuotesProjection
    private let candles: CandlesProjection
    private let catalog: InstrumentCatalog

    public init(quotes: QuotesProjection, candles: CandlesProjection, catalog: InstrumentCatalog) {
        self.quotes = quotes
        self.candles = candles
        self.catalog = catalog
    }

    /// Registers the routes and adds their description to `document`.
    public func register(on router: inout Router, describingIn document: inout OpenAPIDocument, access: OpenAPIDocument.Access = .anyone) {
        let cors: [any Middleware] = [CORSMiddleware()]
        let api = self
        router.get("/quotes", middleware: cors) { request, _ in try api.quotes(request) }
        router.get("/candles", middleware: cors) { request, _ in try api.candles(request) }
        Self.describe(in: &document, access: access)
    }

    /// `GET /quotes?tokens=1,2,3`: the latest quote of each token that has ticked, in the order asked.
    func quotes(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let query = try QueryParameters(request, allowed: ["tokens"])
        guard let text = query.string("tokens"), !text.isEmpty else {
            throw .invalidParameter("tokens", "tokens is required: a comma-separated list of up to \(Self.maxQuoteTokens) instrument tokens")
        }
        let tokens = try query.instrumentTokens("tokens", atMost: Self.maxQuoteTokens) ?? []
        let (book, asOf) = quotes.publishedBook()
        var j = JSONText(capacity: 128 + tokens.count * 320)
        j.beginObject()
        j.key("items"); j.beginArray()
        var missing: [UInt32] = []
        for token in tokens {
            if let quote = book[token] { quote.writeJSON(to: &j) } else { missing.append(token) }
        }
        j.endArray()
        j.key("missing"); j.beginArray(); for token in missing { j.value(token) }; j.endArray()
        j.key("as_of_offset"); j.value(asOf)
        j.endObject()
        return .json(j.bytes)
    }

    /// `GET /candles?token=&resolution=&from=&to=&limit=`: bars whose start is in `[from, to)`, oldest first.
    func candles(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let query = try QueryParameters(request, allowed: ["token", "resolution", "from", "to", "limit"])
        guard let token = try query.integer("token", in: 0...Int(UInt32.max)).map(UInt32.init) else {
            throw .invalidParameter("token", "token is required: the instrument token")
        }
        guard let name = query.string("resolution") else {
            throw .invalidParameter("resolution", "resolution is required: one of 1m, 5m, 15m, 1h, 1D")
        }
        guard let resolution = CandleResolution(parsing: name) else {
            throw .invalidParameter("resolution", "resolution must be one of 1m, 5m, 15m, 1h, 1D (or D), got \"\(name.prefix(16))\"")
        }
        // A `to` before `from` is an empty range, answered with no bars as `/signals` does: OpenAPI cannot relate
        // two parameters, so refusing it would refuse a request the document allows.
        let from = try query.seconds("from")
        let to = try query.seconds("to")
        let limit = try query.integer("limit", in: 1...Self.maxCandleLimit, default: Self.defaultCandleLimit) ?? Self.defaultCandleLimit
        let asOf = candles.asOfOffset
        let bars = candles.candles(token: token, resolution: resolution, from: from, to: to, limit: limit)
        if bars.isEmpty, catalog.instrument(token: token) == nil {
            throw HTTPError(.notFound, code: "not_found", message: "no instrument has token \(token)")
        }
        var j = JSONText(capacity: 128 + bars.count * 96)
        j.beginObject()
        j.key("token"); j.value(token)
        j.key("resolution"); j.value(resolution.rawValue)
        j.key("items"); j.beginArray()
        for bar in bars { bar.writeJSON(to: &j) }
        j.endArray()
        j.key("as_of_offset"); j.value(asOf)
        j.endObject()
        return .json(j.bytes)
    }

}
