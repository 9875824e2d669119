import EventLog
import Foundation
import Projections
import Services
import Testing
@testable import Gateway

/// Hostile JSON request bodies and WebSocket client messages, through every parser that reads them.
@Suite struct JSONBodyFuzzTests {
    static let seeds: [[UInt8]] = [
        #"{"token":408065,"condition":"price_above","price":1523.45,"frequency":"once","cooldown_seconds":60,"enabled":true}"#,
        #"{"name":"ana","admin":false,"label":"laptop","expires":"2026-12-31","window_seconds":300,"percent":-2.5}"#,
        #"[{"token":408065,"price":1523.45,"volume":120,"time":1764300000.125,"oi":5000,"bid":1523.40,"ask":1523.50},{"token":884737,"price":12.5,"volume":1}]"#,
        "{\"token\":408065,\"price\":1523.45,\"volume\":1}\n\n{\"token\":1,\"price\":\"x\",\"volume\":null}\n{\"token\":408065,\"price\":1e3,\"volume\":2,\"time\":null}\n",
        #"{"action":"subscribe","tokens":[408065,884737],"mode":"full"}"#,
        #"{"action":"unsubscribe","tokens":[4294967295]}"#,
        #"{"a":"subscribe","v":[408065,884737]}"#,
        #"{"a":"mode","v":["ltp",[408065]]}"#,
        #"{"s":"\u00e9\ud83d\ude00\\\/\b\f\n\r\t","n":[-0.0,1E+2,[[[{}]]]],"t":true,"f":false,"z":null}"#,
    ].map { Array($0.utf8) }

    static let dictionary: [[UInt8]] = ["{", "}", "[", "]", "\"", ":", ",", "\\u", "\\ud800", "null", "true", "-", "e", ".", "\n",
                                        "[[[[[[[[[[[[[[[[", "{\"a\":", "\u{FEFF}", "\u{0}"].map { Array($0.utf8) }

    /// The field names the request handlers read.
    static let fieldNames = ["token", "condition", "price", "percent", "window_seconds", "frequency", "cooldown_seconds", "enabled",
                             "expires_at", "name", "admin", "label", "expires", "volume", "time", "oi", "bid", "ask", "s", "n", "t", "z"]

    /// A catalog with the instruments the seeds name, for the tick ingest validator.
    static let catalog: [UInt32: InstrumentRecord] = Dictionary(uniqueKeysWithValues: [(UInt32(408065), 0.05), (884737, 0.0025), (1, 1.0)].map { (token: UInt32, size: Double) in
        let instrument = Instrument(token: token, exchangeToken: token, tradingSymbol: "S\(token)", name: "Test \(token)", expiry: nil,
                                    strike: 0, tickSize: size, lotSize: 1, instrumentType: "EQ", segment: "NSE", exchange: "NSE")
        return (token, InstrumentRecord(instrument: instrument, isActive: true, listedOffset: 0, listedTime: .zero, updatedTime: .zero, delistedTime: nil))
    })

    /// Runs one body through the REST body readers, the POST /ticks parser and both WebSocket message parsers.
    /// Refusals are expected; a trap, a hang or a refusal that is not a client error is what this looks for.
    static func exercise(_ bytes: [UInt8]) throws {
        let request = HTTPRequest(method: .post, target: "/", body: bytes)
        do {
            let body = try JSONBody(request)
            for name in fieldNames {
                _ = (body.has(name), body.isNull(name))
                _ = try? body.text(name)
                _ = try? body.number(name)
                _ = try? body.whole(name, in: 1...UInt64(UInt32.max))
                _ = try? body.bool(name)
            }
            _ = try? body.rejectUnknown(Set(fieldNames))
        } catch {
            try expectClientError(error, "JSONBody")
        }
        do {
            let body = try JSONObjectBody(request, allowsEmpty: true)
            for name in fieldNames {
                _ = body.contains(name)
                _ = try? body.string(name)
                _ = try? body.string(name, lengths: 1...64)
                _ = try? body.bool(name)
                _ = try? body.number(name)
                _ = try? body.uint32(name)
                _ = try? body.day(name)
            }
            _ = try? body.refuseFields(notIn: Set(fieldNames))
        } catch {
            try expectClientError(error, "JSONObjectBody")
        }
        do {
            let outcome = try TickIngest(instruments: catalog, receivedAt: Timestamp(seconds: 1_764_300_000)).parse(bytes)
            guard outcome.itemCount <= TickIngest.maxItems else { throw FuzzViolation("POST /ticks took \(outcome.itemCount) items, over its limit") }
        } catch let error as TickIngestError {
            _ = error.description
        }
        let text = String(decoding: bytes, as: UTF8.self)
        _ = V2Request.parse(text)
        _ = try? KiteClientMessage(parsing: bytes)
        _ = try? KiteJSONParser.parse(bytes)
    }

    static func expectClientError(_ error: HTTPError, _ reader: String) throws {
        guard (400...499).contains(error.status.rawValue) else { throw FuzzViolation("\(reader) refused a body with \(error), not a 4xx") }
    }

    @Test func mutatedBodiesNeverCrashHangOrGetAnythingButAClientError() {
        let campaign = FuzzCampaign("json-bodies", defaultSeed: 0x4A53_4F4E, seeds: Self.seeds, dictionary: Self.dictionary, maxLength: 16 * 1024)
        let report = campaign.run { bytes, _ in try Self.exercise(bytes) }
        report.expectClean("JSON bodies")
    }
}
