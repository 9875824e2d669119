import EventLog
import Foundation
import Testing
import TapeTestSupport
@testable import Gateway

/// Random instrument imports and edits, with every field drawn from its edge values, interleaved
/// with reads of every endpoint that shows an instrument, over real sockets to a running server:
/// no answer is a server error or invalid JSON, and the server stays healthy. What an import stores
/// is input too: a tick size of 1e300 once crashed `/udf/symbols`, an expiry of 9999-12-31
/// `/udf/timescale_marks`, and neither endpoint was ever sent a bad byte itself.
///
/// Rounds: `TAPE_FUZZ_INPUTS` / 500, at least 300 (`make soak`: 2,000); `TAPE_FUZZ_SEED` replays.
@Suite(.serialized) struct CatalogFuzzTests {
    static let adminKey = "admin-key-for-catalog-fuzzing"
    static let header = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange"

    static let tokens = ["201", "202", "203", "204", "205", "4294967295", "0", "-1", "x", ""]
    static let symbols = ["EDGE", "edge", "ÉDGE", "E\u{301}DGE", "Ω", "ß", "ǅ", "K", "\u{212A}", "A B", "\"Q,\"\"R\"", "", String(repeating: "L", count: 300)]
    static let dates = ["", "2026-12-31", "0001-01-01", "9999-12-31", "1969-12-31", "2262-04-12", "1677-09-21", "2026-02-30", "31/12/2026"]
    static let amounts = ["0", "0.05", "0.0025", "0.123456789", "5e-324", "1e-300", "999999999.99", "1000000000", "1e300", "-5", "nan", "1e"]
    static let lots = ["0", "1", "75", "4294967295", "4294967296", "-1"]
    static let types = ["EQ", "FUT", "CE", "PE", ""]
    static let segments = ["NSE", "NFO-OPT", "NFO-FUT", "INDICES", "NSE-INDICES", "MCX-FUT", "CDS-FUT"]
    static let exchanges = ["NSE", "NFO", "BSE", "MCX", "CDS", "XYZ", ""]
    static let jsonValues = ["0", "0.05", "1e300", "-5", "5e-324", "999999999.99", "4294967296", "\"2026-12-31\"", "\"9999-12-31\"", "null", "true", "\"\"", "[]"]
    static let jsonFields = ["tradingsymbol", "name", "expiry", "strike", "tick_size", "lot_size", "instrument_type", "segment", "exchange"]

    static func row(_ rng: inout SplitMix64) -> String {
        func pick(_ values: [String]) -> String { values[rng.index(values.count)] }
        return [pick(tokens), pick(tokens), pick(symbols), "\"\(pick(symbols).replacingOccurrences(of: "\"", with: "\"\""))\"", "0",
                pick(dates), pick(amounts), pick(amounts), pick(lots), pick(types), pick(segments), pick(exchanges)].joined(separator: ",")
    }

    /// The reads of one round: each endpoint that shows an instrument, for one token and symbol.
    static func reads(token: String, symbol: String) -> [String] {
        let name = symbol.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return ["/instruments/\(token)", "/instruments/list?active=any&limit=1000", "/instruments/list?active=any&expiry_from=0001-01-01&expiry_to=9999-12-31",
                "/instruments/search?q=\(name)", "/instruments/stats", "/quotes?tokens=\(token)", "/candles?token=\(token)&resolution=1D",
                "/udf/symbols?symbol=\(name)", "/udf/search?query=\(name)&limit=50", "/udf/marks?symbol=\(name)", "/udf/timescale_marks?symbol=\(name)",
                "/udf/history?symbol=\(name)&resolution=1D&countback=10&to=2000000000", "/udf/quotes?symbols=\(name)"]
    }

    @Test func importsAndEditsOfEdgeValuesNeverBreakWhatShowsThem() throws {
        let directory = makeTemporaryDirectory("tape-catalog-fuzz")
        defer { removeDirectory(directory) }
        let server = try TapeServer(settings: .forTests(directory: directory, adminKey: Self.adminKey))
        defer { server.stop(gracePeriod: .zero) }
        try server.start()
        let client = LoopbackClient(port: try #require(server.port))
        let rounds = max(300, (ProcessInfo.processInfo.environment["TAPE_FUZZ_INPUTS"].flatMap { Int($0) } ?? 0) / 500)
        let campaign = FuzzCampaign("catalog", defaultSeed: 0x4341_5441, seeds: [[]], inputs: rounds, inputDeadline: .seconds(10))
        var listed = 0
        campaign.run { _, rng in
            // An import (scoped to one exchange or not: unscoped, it delists everything else) or an edit of one instrument.
            if rng.index(4) > 0 {
                let rows = (0..<rng.next(in: 0...6)).map { _ in Self.row(&rng) }
                let scope = ["", "?exchange=NFO", "?exchange=NSE,BSE"][rng.index(3)]
                let answer = try client.send("POST", "/instruments/import" + scope, key: Self.adminKey,
                                             body: ([Self.header] + rows).joined(separator: "\n") + "\n")
                if answer.status >= 500 { throw FuzzViolation("import answered \(answer.status): \(answer.text.prefix(300))") }
                listed += answer.json["listed"] as? Int ?? 0
            } else {
                let fields = (0..<rng.next(in: 1...3)).map { _ in
                    "\"\(Self.jsonFields[rng.index(Self.jsonFields.count)])\":\(Self.jsonValues[rng.index(Self.jsonValues.count)])"
                }
                let token = Self.tokens[rng.index(5)]
                let answer = try client.send("PATCH", "/instruments/\(token)", key: Self.adminKey, body: "{\(fields.joined(separator: ","))}")
                if answer.status >= 500 { throw FuzzViolation("PATCH /instruments/\(token) answered \(answer.status): \(answer.text.prefix(300))") }
            }
            let reads = Self.reads(token: Self.tokens[rng.index(5)], symbol: Self.symbols[rng.index(Self.symbols.count)])
            for _ in 0..<4 {
                let target = reads[rng.index(reads.count)]
                let answer = try client.send("GET", target)
                if answer.status >= 500 { throw FuzzViolation("GET \(target) answered \(answer.status): \(answer.text.prefix(300))") }
                if (try? JSONSerialization.jsonObject(with: Data(answer.body), options: .fragmentsAllowed)) == nil {
                    throw FuzzViolation("GET \(target) answered \(answer.status) with invalid JSON: \(answer.text.prefix(300))")
                }
            }
        }.expectClean("catalog")
        // The rounds reached the catalog: some rows passed every check and were listed.
        #expect(listed > 0, "no import listed anything: the rows never got past the parser")
        #expect(try client.send("GET", "/health").status == 200)
    }
}
