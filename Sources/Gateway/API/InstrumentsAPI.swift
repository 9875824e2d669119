import EventLog
import Projections

/// The read side of the REST API over the instruments catalog: list, stats, search and look-up, each answered
/// from the catalog's in-memory snapshots. Immutable, usable from any thread; handlers run on the loop thread
/// because every query is an in-memory read (see `offset` for the one that is not constant-time).
public struct InstrumentsAPI: Sendable {
    /// The default and largest `limit` of `/instruments/search`.
    public static let defaultSearchLimit = 30
    public static let maxSearchLimit = 100
    /// The largest `offset` accepted by `/instruments/list`; far beyond any catalog, it only keeps the number an `Int`.
    public static let maxOffset = 1_000_000_000

    private let catalog: InstrumentCatalog
    private let today: @Sendable () -> CalendarDay
    /// `/instruments/list` bodies by query, for the latest snapshot: rendering 50 instruments is most of a request's
    /// cost, and clients polling the first page of a filter ask the same question many times per snapshot.
    private let renderedPages = SnapshotAnswerCache<QueryParameters, RenderedPage>(maxEntries: 256, maxBytes: 8 << 20)

    /// A page's JSON, and whether it hands out a cursor (the catalog must then hear of every answer that repeats it);
    /// a value, usable from any thread.
    private struct RenderedPage: Sendable {
        let body: [UInt8]
        let issuesCursor: Bool
    }

    /// Makes the API over `catalog`; `today` says which day the expiry counts of `/instruments/stats` are for.
    public init(catalog: InstrumentCatalog, today: @escaping @Sendable () -> CalendarDay) {
        self.catalog = catalog
        self.today = today
    }

    /// Registers the instruments routes and `GET /openapi.json` describing them.
    public func register(on router: inout Router) {
        var document = OpenAPIDocument()
        register(on: &router, describingIn: &document)
        document.register(on: &router)
    }

    /// Registers the instruments routes and adds their description to `document`, for a server that serves
    /// several APIs under one OpenAPI document (register `document` once all are added). `access` is who the
    /// middleware around `router` lets through; the routes themselves check no key.
    public func register(on router: inout Router, describingIn document: inout OpenAPIDocument, access: OpenAPIDocument.Access = .anyone) {
        let cors: [any Middleware] = [CORSMiddleware()]
        let api = self
        router.get("/instruments/list", middleware: cors) { request, _ in try api.list(request) }
        router.get("/instruments/stats", middleware: cors) { request, _ in try api.stats(request) }
        router.get("/instruments/search", middleware: cors) { request, _ in try api.search(request) }
        router.get("/instruments/{token}", middleware: cors) { request, context in
            try api.instrument(request, token: context.parameter("token") ?? "")
        }
        Self.describe(in: &document, access: access)
    }

    // MARK: handlers

    /// `GET /instruments/list`: one page of the filtered catalog, by cursor or by offset.
    func list(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let query = try QueryParameters(request, allowed: [
            "exchange", "segment", "type", "q", "active", "expiry_from", "expiry_to", "limit", "cursor", "offset",
        ])
        let filter = CatalogFilter(
            exchange: query.string("exchange"), segment: query.string("segment"), instrumentType: query.string("type"),
            query: query.string("q"),
            activity: try query.choice("active", ["true": .active, "false": .delisted, "any": .any], default: .active),
            expiryFrom: try query.day("expiry_from"), expiryTo: try query.day("expiry_to"))
        let limit = try query.integer("limit", in: 1...InstrumentCatalog.maxPageLimit, default: InstrumentCatalog.defaultPageLimit) ?? InstrumentCatalog.defaultPageLimit
        let offset = try query.integer("offset", in: 0...Self.maxOffset)
        if offset != nil, query.contains("cursor") {
            throw .invalidParameter("offset", "offset and cursor cannot be combined: page with next_cursor, or restart with offset alone")
        }
        // Without a cursor the page is a function of the latest snapshot and the query. A cursor pins an older snapshot
        // that may expire (a 410), so those pages are read every time.
        let isCacheable = !query.contains("cursor")
        if isCacheable {
            let latest = catalog.snapshot
            if let rendered = renderedPages.answer(for: query, asOf: latest.asOfOffset) {
                if rendered.issuesCursor { catalog.markCursorIssued(from: latest) }
                return .json(rendered.body)
            }
        }
        let page: CatalogPage
        do {
            if let offset {
                page = try self.page(matching: filter, skipping: offset, limit: limit)
            } else {
                page = try catalog.page(matching: filter, after: query.string("cursor"), limit: limit)
            }
        } catch {
            throw HTTPError(error)
        }
        var json = JSONText(capacity: 256 + page.instruments.count * 320)
        json.beginObject()
        json.key("total"); json.value(page.total)
        json.key("items"); writeItems(page.instruments, to: &json)
        json.key("next_cursor"); if let next = page.nextCursor { json.value(next) } else { json.null() }
        json.key("as_of_offset"); json.value(page.asOfOffset)
        json.endObject()
        if isCacheable {
            renderedPages.store(RenderedPage(body: json.bytes, issuesCursor: page.nextCursor != nil),
                                byteCount: json.bytes.count, for: query, asOf: page.asOfOffset)
        }
        return .json(json.bytes)
    }

    /// The page that starts `offset` matches into the filtered, sorted set, from one snapshot.
    ///
    /// The catalog pages by key, not by position, so this walks cursors through the first `offset` matches in
    /// pages of the largest size: `offset / maxPageLimit + 1` catalog pages, each costing about its size. Every
    /// step after the first is pinned to the first step's snapshot, so `total`, the items and `next_cursor`
    /// agree with each other even while the catalog changes.
    private func page(matching filter: CatalogFilter, skipping offset: Int, limit: Int) throws(CatalogError) -> CatalogPage {
        var remaining = offset
        var cursor: String?
        while remaining > 0 {
            let skipped = try catalog.page(matching: filter, after: cursor, limit: min(remaining, InstrumentCatalog.maxPageLimit))
            remaining -= skipped.instruments.count
            guard let next = skipped.nextCursor else {
                // Past the end: nothing to show, but the count still describes the set.
                return CatalogPage(instruments: [], total: skipped.total, asOfOffset: skipped.asOfOffset, nextCursor: nil)
            }
            cursor = next
        }
        return try catalog.page(matching: filter, after: cursor, limit: limit)
    }

    /// `GET /instruments/stats`: counts over the active instruments.
    func stats(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        _ = try QueryParameters(request, allowed: [])
        let stats = catalog.stats(today: today())
        var json = JSONText(capacity: 1024)
        json.beginObject()
        json.key("total_active"); json.value(stats.totalActive)
        json.key("by_exchange"); Self.writeCounts(stats.byExchange, to: &json)
        json.key("by_segment"); Self.writeCounts(stats.bySegment, to: &json)
        json.key("by_type"); Self.writeCounts(stats.byInstrumentType, to: &json)
        json.key("today"); json.value(stats.today.description)
        json.key("expiring_today"); json.value(stats.expiringToday)
        json.key("expiring_this_week"); json.value(stats.expiringThisWeek)
        json.key("as_of_offset"); json.value(stats.asOfOffset)
        json.endObject()
        return .json(json.bytes)
    }

    /// `GET /instruments/search`: active instruments ranked as the catalog ranks them.
    func search(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let query = try QueryParameters(request, allowed: ["q", "limit"])
        guard let text = query.string("q"), !text.isEmpty else {
            throw .invalidParameter("q", "q is required: the text to search trading symbols and names for")
        }
        let limit = try query.integer("limit", in: 1...Self.maxSearchLimit, default: Self.defaultSearchLimit) ?? Self.defaultSearchLimit
        let found = catalog.search(text, limit: limit)
        var json = JSONText(capacity: 64 + found.count * 320)
        json.beginObject()
        json.key("items"); writeItems(found, to: &json)
        json.endObject()
        return .json(json.bytes)
    }

    /// `GET /instruments/{token}`: one instrument, active or delisted.
    func instrument(_ request: HTTPRequest, token text: String) throws(HTTPError) -> HTTPResponse {
        _ = try QueryParameters(request, allowed: [])
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }), let token = UInt32(text) else {
            throw .invalidParameter("token", "token must be an instrument_token, an integer in 0...\(UInt32.max), got \"\(text)\"")
        }
        guard let record = catalog.instrument(token: token) else {
            throw .notFound("No instrument has instrument_token \(token).")
        }
        var json = JSONText(capacity: 384)
        record.writeJSON(to: &json)
        return .json(json.bytes)
    }

    // MARK: JSON

    private func writeItems(_ records: [InstrumentRecord], to json: inout JSONText) {
        json.beginArray()
        for record in records { record.writeJSON(to: &json) }
        json.endArray()
    }

    /// Counts as an object with keys in byte order, so equal stats render as equal bytes.
    private static func writeCounts(_ counts: [String: Int], to json: inout JSONText) {
        json.beginObject()
        for key in counts.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            json.key(dynamic: key); json.value(counts[key] ?? 0)
        }
        json.endObject()
    }
}
