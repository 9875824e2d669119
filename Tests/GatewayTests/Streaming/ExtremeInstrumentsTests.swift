import EventLog
import Foundation
import Testing
@testable import Gateway

/// Instruments at the edges of what an import accepts, and past them as an older log may hold
/// them: every endpoint that shows an instrument answers them with valid JSON and no server error,
/// and the server keeps serving. (Two such values once crashed it: a tick size of 1e300 on
/// `/udf/symbols`, an expiry of 9999-12-31 on `/udf/timescale_marks`.)
@Suite struct ExtremeInstrumentsTests {
    static let header = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange"

    /// `method target` (with the admin key and a body when given): the status and the body.
    static func send(_ fixture: StreamingFixture, _ method: String, _ target: String, body: String = "") throws -> (status: Int, body: [UInt8]) {
        let client = try TestClient(port: fixture.port)
        try client.send("\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nX-API-Key: \(StreamingFixture.adminKey)\r\n"
                        + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let response = try client.readResponse()
        return (response.status, response.body)
    }

    @Test func everyEndpointShowingAnInstrumentAnswersExtremeOnes() throws {
        let fixture = try StreamingFixture()
        // The edges an import accepts: amounts just below a billion and as small as a double gets, the first
        // and last days a date can name, a lot size of 0 and of 2^32 - 1, a symbol and a name beyond ASCII.
        let rows = [
            "201,1,EDGEA,\"Edge\",0,0001-01-01,999999999.99,999999999,4294967295,CE,NFO-OPT,NFO",
            "202,2,EDGEB,\"Ω ß ǅ\",0,9999-12-31,5e-324,5e-324,0,PE,NFO-OPT,NFO",
            "203,3,ÉDGEC,\"\",0,,0,0,1,EQ,INDICES,NFO",
            "204,4,EDGED,\"x\",0,1969-12-31,0,0.123456789,1,FUT,NFO-FUT,NFO",
        ]
        let imported = try Self.send(fixture, "POST", "/instruments/import?exchange=NFO",
                                     body: ([Self.header] + rows).joined(separator: "\n") + "\n")
        #expect(imported.status == 200)
        #expect((try JSONSerialization.jsonObject(with: Data(imported.body)) as? [String: Any])?["listed"] as? Int == 4)
        // Past the edges, as a log written before the limits (or by the JSON endpoints then) may hold them.
        let old: [(token: UInt32, expiry: String, amount: Double)] = [(205, "9999-12-31", 1e300), (206, "0001-01-01", -5)]
        try fixture.server.log.append(old.map { old in
            Record(time: Timestamp.now(), event: .instrumentListed(Instrument(
                token: old.token, exchangeToken: old.token, tradingSymbol: "EDGE\(old.token)", name: "Old", expiry: CalendarDay(iso: old.expiry),
                strike: old.amount, tickSize: old.amount, lotSize: 1, instrumentType: "CE", segment: "NFO-OPT", exchange: "NFO")))
        })
        #expect(fixture.server.catalogRunner.waitUntilApplied(before: fixture.server.log.acceptedEnd, timeout: .seconds(10)))

        var targets = ["/instruments/list?active=any&limit=1000", "/instruments/list?active=any&expiry_from=0001-01-01&expiry_to=9999-12-31",
                       "/instruments/search?q=EDGE", "/instruments/stats", "/udf/search?query=EDGE&limit=50"]
        for (token, symbol) in [(201, "EDGEA"), (202, "EDGEB"), (203, "%C3%89DGEC"), (204, "EDGED"), (205, "EDGE205"), (206, "EDGE206")] {
            targets += ["/instruments/\(token)", "/quotes?tokens=\(token)", "/candles?token=\(token)&resolution=1D",
                        "/udf/symbols?symbol=NFO:\(symbol)", "/udf/marks?symbol=NFO:\(symbol)", "/udf/timescale_marks?symbol=NFO:\(symbol)",
                        "/udf/history?symbol=NFO:\(symbol)&resolution=1D&countback=10&to=2000000000", "/udf/quotes?symbols=NFO:\(symbol)"]
        }
        // Ticks on those grids, each accepted or refused by itself; then everything again, with quotes and candles to show.
        let ticks = (201...206).map { #"{"token":\#($0),"price":1,"volume":1}"# }.joined(separator: "\n")
        #expect(try Self.send(fixture, "POST", "/ticks", body: ticks).status < 500)
        for target in targets + targets {
            let answer = try Self.send(fixture, "GET", target)
            #expect(answer.status < 500, "\(target) answered \(answer.status)")
            #expect((try? JSONSerialization.jsonObject(with: Data(answer.body), options: .fragmentsAllowed)) != nil, "\(target): not JSON")
        }
        #expect(try Self.send(fixture, "GET", "/health").status == 200)
    }
}
