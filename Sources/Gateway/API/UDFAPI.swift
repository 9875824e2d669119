import EventLog
import Projections

/// The TradingView UDF datafeed under `/udf` (see `shared/reference/udf.md`): symbols named
/// `EXCHANGE:TRADINGSYMBOL`, bars from the candles projection, quotes from the quotes
/// projection, marks from alert firings and ML signals, timescale marks from listings and
/// expiries. Errors are HTTP 200 with `{"s":"error","errmsg"}`, as UDF clients expect.
/// Immutable, usable from any thread; handlers run on the loop thread (in-memory reads).
public struct UDFAPI: Sendable {
    /// Chart resolutions served, as UDF names them, and the candle series behind each.
    static let resolutions: [(name: String, candles: CandleResolution)] = [
        ("1", .oneMinute), ("5", .fiveMinutes), ("15", .fifteenMinutes), ("60", .oneHour), ("1D", .oneDay),
    ]
    static let maxCountback = 10_000
    static let maxSearchLimit = 100

    private let catalog: InstrumentCatalog
    private let candles: CandlesProjection
    private let quotes: QuotesProjection
    /// Marks of an instrument in `[from, to)` seconds for a user (nil: no key, so no alert firings).
    private let marks: @Sendable (_ token: UInt32, _ from: Int64, _ to: Int64, _ userID: UInt64?) -> [UDFMark]
    /// The user a request's key names, if it names one.
    private let userOf: @Sendable (HTTPRequest) -> UInt64?
    private let now: @Sendable () -> Timestamp

    public init(catalog: InstrumentCatalog, candles: CandlesProjection, quotes: QuotesProjection,
                marks: @escaping @Sendable (UInt32, Int64, Int64, UInt64?) -> [UDFMark] = { _, _, _, _ in [] },
                userOf: @escaping @Sendable (HTTPRequest) -> UInt64? = { _ in nil },
                now: @escaping @Sendable () -> Timestamp = { Timestamp.now() }) {
        self.catalog = catalog
        self.candles = candles
        self.quotes = quotes
        self.marks = marks
        self.userOf = userOf
        self.now = now
    }

    /// Registers `/udf/*` and adds them to `document`.
    public func register(on router: inout Router, describingIn document: inout OpenAPIDocument, access: OpenAPIDocument.Access = .anyone) {
        let cors: [any Middleware] = [CORSMiddleware()]
        let api = self
        router.get("/udf/config", middleware: cors) { _, _ in .json(api.config()) }
        router.get("/udf/time", middleware: cors) { _, _ in .json(Array(String(api.now().rawValue / 1_000_000_000).utf8)) }
        router.get("/udf/symbols", middleware: cors) { request, _ in .json(api.symbols(request)) }
        router.get("/udf/search", middleware: cors) { request, _ in .json(api.search(request)) }
        router.get("/udf/history", middleware: cors) { request, _ in .json(api.history(request)) }
        router.get("/udf/marks", middleware: cors) { request, _ in .json(api.marks(request)) }
        router.get("/udf/timescale_marks", middleware: cors) { request, _ in .json(api.timescaleMarks(request)) }
        router.get("/udf/quotes", middleware: cors) { request, _ in .json(api.quotes(request)) }
        Self.describe(in: &document, access: access)
    }

    // MARK: handlers

    func config() -> [UInt8] {
        var j = JSONText(capacity: 1024)
        j.beginObject()
        j.key("supported_resolutions"); j.beginArray(); for r in Self.resolutions { j.value(r.name) }; j.endArray()
        j.key("supports_search"); j.value(true)
        j.key("supports_group_request"); j.value(false)
        j.key("supports_marks"); j.value(true)
        j.key("supports_timescale_marks"); j.value(true)
        j.key("supports_time"); j.value(true)
        j.key("exchanges"); j.beginArray()
        j.beginObject(); j.key("value"); j.value(""); j.key("name"); j.value("All"); j.key("desc"); j.value("All exchanges"); j.endObject()
        for exchange in TradingSession.exchanges {
            j.beginObject(); j.key("value"); j.value(exchange); j.key("name"); j.value(exchange); j.key("desc"); j.value(exchange); j.endObject()
        }
        j.endArray()
        j.key("symbols_types"); j.beginArray()
        for (name, value) in [("All", ""), ("Stock", "stock"), ("Index", "index"), ("Futures", "futures"), ("Option", "option")] {
            j.beginObject(); j.key("name"); j.value(name); j.key("value"); j.value(value); j.endObject()
        }
        j.endArray()
        j.endObject()
        return j.bytes
    }

    func symbols(_ request: HTTPRequest) -> [UInt8] {
        guard let name = request.queryValue("symbol"), let record = resolve(name) else { return Self.error("unknown_symbol") }
        var j = JSONText(capacity: 768)
        Self.writeSymbolInfo(record, to: &j)
        return j.bytes
    }

    func search(_ request: HTTPRequest) -> [UInt8] {
        let query = request.queryValue("query") ?? ""
        let type = request.queryValue("type") ?? "", exchange = request.queryValue("exchange") ?? ""
        let limit = min(max(Int(request.queryValue("limit") ?? "") ?? 30, 1), Self.maxSearchLimit)
        var j = JSONText(capacity: 4096)
        j.beginArray()
        guard !query.isEmpty else { j.endArray(); return j.bytes }
        // Search more than asked, then filter: type and exchange are rarely both narrow.
        var written = 0
        for record in catalog.search(query, limit: limit * 4) where written < limit {
            let instrument = record.instrument
            guard exchange.isEmpty || instrument.exchange == exchange, type.isEmpty || Self.symbolType(instrument) == type else { continue }
            j.beginObject()
            j.key("symbol"); j.value(instrument.tradingSymbol)
            j.key("full_name"); j.value(Self.ticker(instrument))
            j.key("description"); j.value(Self.description(instrument))
            j.key("exchange"); j.value(instrument.exchange)
            j.key("ticker"); j.value(Self.ticker(instrument))
            j.key("type"); j.value(Self.symbolType(instrument))
            j.endObject()
            written += 1
        }
        j.endArray()
        return j.bytes
    }

    /// `/udf/history`: the answer body (public for the benchmark, which calls it in process).
    public func history(_ request: HTTPRequest) -> [UInt8] {
        guard let name = request.queryValue("symbol"), let record = resolve(name) else { return Self.error("unknown_symbol") }
        guard let resolution = Self.resolution(request.queryValue("resolution") ?? "") else {
            return Self.error("unsupported resolution \"\((request.queryValue("resolution") ?? "").prefix(16))\": use 1, 5, 15, 60 or 1D")
        }
        guard let to = Self.seconds(request.queryValue("to")) else { return Self.error("to must be Unix seconds") }
        let bars: [Candle]
        if let countbackText = request.queryValue("countback"), !countbackText.isEmpty {
            guard let countback = Int(countbackText), countback >= 1 else { return Self.error("countback must be a positive integer") }
            bars = candles.candles(token: record.token, resolution: resolution, before: Self.timestamp(to), count: min(countback, Self.maxCountback))
        } else {
            guard let from = Self.seconds(request.queryValue("from")), from <= to else { return Self.error("from must be Unix seconds not after to") }
            bars = candles.candles(token: record.token, resolution: resolution, from: Self.timestamp(from), to: Self.timestamp(to),
                                   limit: Self.maxCountback)
        }
        guard !bars.isEmpty else { return Array(#"{"s":"no_data"}"#.utf8) }
        var j = JSONText(capacity: 64 + bars.count * 64)
        j.beginObject()
        j.key("s"); j.value("ok")
        j.key("t"); j.beginArray(); for bar in bars { j.value(bar.time.rawValue / 1_000_000_000) }; j.endArray()
        j.key("o"); j.beginArray(); for bar in bars { j.decimal(bar.open, decimals: bar.decimals) }; j.endArray()
        j.key("h"); j.beginArray(); for bar in bars { j.decimal(bar.high, decimals: bar.decimals) }; j.endArray()
        j.key("l"); j.beginArray(); for bar in bars { j.decimal(bar.low, decimals: bar.decimals) }; j.endArray()
        j.key("c"); j.beginArray(); for bar in bars { j.decimal(bar.close, decimals: bar.decimals) }; j.endArray()
        j.key("v"); j.beginArray(); for bar in bars { j.value(bar.volume) }; j.endArray()
        j.endObject()
        return j.bytes
    }

    func marks(_ request: HTTPRequest) -> [UInt8] {
        guard let name = request.queryValue("symbol"), let record = resolve(name) else { return Self.error("unknown_symbol") }
        let from = Self.seconds(request.queryValue("from")) ?? 0, to = Self.seconds(request.queryValue("to")) ?? Int64.max / 1_000_000_000
        var j = JSONText(capacity: 1024)
        j.beginArray()
        for mark in marks(record.token, from, to, userOf(request)) {
            j.beginObject()
            j.key("id"); j.value(mark.id)
            j.key("time"); j.value(mark.time)
            j.key("color"); j.value(mark.color)
            j.key("text"); j.value(mark.text)
            j.key("label"); j.value(mark.label)
            j.key("labelFontColor"); j.value("white")
            j.key("minSize"); j.value(14)
            j.endObject()
        }
        j.endArray()
        return j.bytes
    }

    func timescaleMarks(_ request: HTTPRequest) -> [UInt8] {
        guard let name = request.queryValue("symbol"), let record = resolve(name) else { return Self.error("unknown_symbol") }
        let from = Self.seconds(request.queryValue("from")) ?? 0, to = Self.seconds(request.queryValue("to")) ?? Int64.max / 1_000_000_000
        var events: [(id: String, time: Int64, color: String, label: String, tooltip: String)] = []
        let listed = record.listedTime.rawValue / 1_000_000_000
        events.append(("listed-\(record.token)", listed, "green", "L", "Listed \(record.listedTime.iso8601)"))
        if let expiry = record.instrument.expiry {
            events.append(("expiry-\(record.token)", expiry.start.rawValue / 1_000_000_000, "red", "E", "Expires \(expiry)"))
        }
        if let delisted = record.delistedTime {
            events.append(("delisted-\(record.token)", delisted.rawValue / 1_000_000_000, "gray", "D", "Delisted \(delisted.iso8601)"))
        }
        var j = JSONText(capacity: 512)
        j.beginArray()
        for event in events where event.time >= from && event.time < to {
            j.beginObject()
            j.key("id"); j.value(event.id)
            j.key("time"); j.value(event.time)
            j.key("color"); j.value(event.color)
            j.key("label"); j.value(event.label)
            j.key("tooltip"); j.beginArray(); j.value(event.tooltip); j.endArray()
            j.endObject()
        }
        j.endArray()
        return j.bytes
    }

    func quotes(_ request: HTTPRequest) -> [UInt8] {
        let names = (request.queryValue("symbols") ?? "").split(separator: ",").map(String.init).prefix(MarketDataAPI.maxQuoteTokens)
        guard !names.isEmpty else { return Self.error("symbols is required: a comma-separated list of EXCHANGE:SYMBOL") }
        let (book, _) = quotes.publishedBook()
        var j = JSONText(capacity: 256 + names.count * 320)
        j.beginObject()
        j.key("s"); j.value("ok")
        j.key("d"); j.beginArray()
        for name in names {
            j.beginObject()
            guard let record = resolve(name), let quote = book[record.token] else {
                j.key("s"); j.value("error"); j.key("n"); j.value(name); j.key("v"); j.beginObject(); j.endObject()
                j.endObject()
                continue
            }
            let decimals = quote.decimals, instrument = record.instrument
            j.key("s"); j.value("ok")
            j.key("n"); j.value(name)
            j.key("v"); j.beginObject()
            j.key("ch"); j.decimal(quote.change, decimals: decimals)
            j.key("chp"); j.value((quote.changePercent * 100).rounded() / 100)
            j.key("short_name"); j.value(instrument.tradingSymbol)
            j.key("exchange"); j.value(instrument.exchange)
            j.key("description"); j.value(Self.description(instrument))
            j.key("lp"); j.decimal(quote.lastPrice, decimals: decimals)
            j.key("ask"); if let ask = quote.ask { j.decimal(ask, decimals: decimals) } else { j.decimal(quote.lastPrice, decimals: decimals) }
            j.key("bid"); if let bid = quote.bid { j.decimal(bid, decimals: decimals) } else { j.decimal(quote.lastPrice, decimals: decimals) }
            j.key("open_price"); j.decimal(quote.open, decimals: decimals)
            j.key("high_price"); j.decimal(quote.high, decimals: decimals)
            j.key("low_price"); j.decimal(quote.low, decimals: decimals)
            j.key("prev_close_price"); j.decimal(quote.referencePrice, decimals: decimals)
            j.key("volume"); j.value(quote.dayVolume)
            j.endObject()
            j.endObject()
        }
        j.endArray()
        j.endObject()
        return j.bytes
    }

    // MARK: symbols

    /// `EXCHANGE:SYMBOL` or a bare `SYMBOL` (the active one, NSE first, when several exchanges list it).
    func resolve(_ name: String) -> InstrumentRecord? {
        let parts = name.split(separator: ":", maxSplits: 1)
        let (exchange, symbol) = parts.count == 2 ? (String(parts[0]).uppercased(), String(parts[1])) : (nil, name)
        let candidates = catalog.snapshot.instruments(withSymbol: symbol.uppercased())
        if let exchange { return candidates.first { $0.instrument.exchange == exchange } }
        return candidates.first { $0.instrument.exchange == "NSE" } ?? candidates.first
    }

    static func ticker(_ instrument: Instrument) -> String { instrument.exchange + ":" + instrument.tradingSymbol }

    static func description(_ instrument: Instrument) -> String {
        instrument.name.isEmpty ? instrument.tradingSymbol : instrument.name
    }

    /// UDF symbol types: `index` for the indices segment, `stock`, `futures`, `option`.
    static func symbolType(_ instrument: Instrument) -> String {
        if instrument.segment == "INDICES" { return "index" }
        switch instrument.instrumentType {
        case "FUT": return "futures"
        case "CE", "PE": return "option"
        default: return "stock"
        }
    }

    /// `pricescale` and `minmov` so that minmov / pricescale is the tick size (0.05 → 100, 5);
    /// 100 and 1 for a tick size that is not `Instrument.isUsableAmount`.
    static func priceFormat(tickSize: Double) -> (pricescale: Int, minmov: Int) {
        guard Instrument.isUsableAmount(tickSize) else { return (100, 1) }
        var pricescale = 1
        while pricescale < 10_000_000, abs((tickSize * Double(pricescale)).rounded() - tickSize * Double(pricescale)) > 1e-9 {
            pricescale *= 10
        }
        return (pricescale, max(1, Int((tickSize * Double(pricescale)).rounded())))
    }

    static func writeSymbolInfo(_ record: InstrumentRecord, to j: inout JSONText) {
        let instrument = record.instrument
        let session = TradingSession.of(exchange: instrument.exchange)
        let format = priceFormat(tickSize: instrument.tickSize)
        j.beginObject()
        j.key("name"); j.value(instrument.tradingSymbol)
        j.key("ticker"); j.value(ticker(instrument))
        j.key("full_name"); j.value(ticker(instrument))
        j.key("description"); j.value(description(instrument))
        j.key("type"); j.value(symbolType(instrument))
        j.key("session"); j.value(session.hours)
        j.key("timezone"); j.value(session.timezone)
        j.key("exchange"); j.value(instrument.exchange)
        j.key("listed_exchange"); j.value(instrument.exchange)
        j.key("format"); j.value("price")
        j.key("pricescale"); j.value(format.pricescale)
        j.key("minmov"); j.value(format.minmov)
        j.key("has_intraday"); j.value(true)
        j.key("intraday_multipliers"); j.beginArray(); for r in resolutions.dropLast() { j.value(r.name) }; j.endArray()
        j.key("has_daily"); j.value(true)
        j.key("supported_resolutions"); j.beginArray(); for r in resolutions { j.value(r.name) }; j.endArray()
        j.key("volume_precision"); j.value(0)
        j.key("data_status"); j.value("streaming")
        j.key("instrument_token"); j.value(instrument.token)
        j.key("expired"); j.value(!record.isActive)
        if let expiry = instrument.expiry { j.key("expiration_date"); j.value(expiry.start.rawValue / 1_000_000_000) }
        j.endObject()
    }

    // MARK: parameters

    /// "1", "5", "15", "60", "D" or "1D"; nil for what the candles do not keep.
    static func resolution(_ name: String) -> CandleResolution? {
        if name == "D" { return .oneDay }
        return resolutions.first { $0.name == name }?.candles
    }

    /// Whole Unix seconds (a fraction is dropped), within what a `Timestamp` can hold.
    static func seconds(_ text: String?) -> Int64? {
        guard let text, let value = Double(text), value.isFinite, abs(value) < 9e9 else { return nil }
        return Int64(value.rounded(.down))
    }

    static func timestamp(_ seconds: Int64) -> Timestamp { Timestamp(nanoseconds: seconds * 1_000_000_000) }

    static func error(_ message: String) -> [UInt8] {
        var j = JSONText()
        j.beginObject(); j.key("s"); j.value("error"); j.key("errmsg"); j.value(message); j.endObject()
        return j.bytes
    }
}

/// Trading hours and time zone of an exchange, as a chart shows them.
struct TradingSession {
    var hours: String
    var timezone: String

    static let exchanges = ["NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"]

    /// NSE/BSE/NFO/BFO 09:15–15:30, CDS/BCD 09:00–17:00, MCX 09:00–23:55, all Asia/Kolkata.
    static func of(exchange: String) -> TradingSession {
        switch exchange {
        case "CDS", "BCD": TradingSession(hours: "0900-1700", timezone: "Asia/Kolkata")
        case "MCX": TradingSession(hours: "0900-2355", timezone: "Asia/Kolkata")
        default: TradingSession(hours: "0915-1530", timezone: "Asia/Kolkata")
        }
    }
}
