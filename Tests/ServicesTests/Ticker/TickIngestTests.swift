import EventLog
import Testing
@testable import Services

@Suite struct TickIngestTests {
    let ingest = TickIngest(instruments: TickerFixtures.catalog, receivedAt: TickerFixtures.receivedAt)

    func parse(_ body: String) throws(TickIngestError) -> TickIngest.Outcome { try ingest.parse(Array(body.utf8)) }

    /// The only rejection of a one-item body.
    func rejection(of item: String) throws -> String {
        let outcome = try parse("[\(item)]")
        #expect(outcome.records.isEmpty)
        return try #require(outcome.rejected.first).message
    }

    static let items = [
        #"{"token": 408065, "price": 1523.45, "volume": 120, "time": 1764300000.125}"#,
        #"{"token": 412675, "price": 88.2525, "volume": 1, "oi": 5000, "bid": 88.25, "ask": 88.255, "time": 1764299999}"#,
        #"{"token": 53505031, "price": 76450, "volume": 3, "oi": null}"#,
    ]
    static let expected = [
        Record(time: Timestamp(rawValue: 1_764_300_000_125_000_000),
               event: .tick(Tick(token: 408_065, price: 152_345, decimals: 2, volume: 120))),
        Record(time: Timestamp(seconds: 1_764_299_999),
               event: .tick(Tick(token: 412_675, price: 882_525, decimals: 4, volume: 1, openInterest: 5_000, bid: 882_500, ask: 882_550))),
        Record(time: TickerFixtures.receivedAt, event: .tick(Tick(token: 53_505_031, price: 7_645_000, decimals: 2, volume: 3))),
    ]

    @Test func aJSONArrayBecomesExactTicksInMinorUnits() throws {
        let outcome = try parse("[" + Self.items.joined(separator: ",\n ") + "]")
        #expect(outcome.records == Self.expected)
        #expect(outcome.rejected.isEmpty)
    }

    @Test func ndjsonWithBlankLinesCRLFAndAByteOrderMarkGivesTheSameTicks() throws {
        let body = [0xEF, 0xBB, 0xBF] + Array(("\r\n" + Self.items.joined(separator: "\r\n\n  \n") + "\n").utf8)
        let outcome = try ingest.parse(body)
        #expect(outcome.records == Self.expected)
        #expect(outcome.rejected.isEmpty)
    }

    @Test func validAndInvalidItemsAreSeparatedWithTheirIndexes() throws {
        let outcome = try parse("""
            [\(Self.items[0]), {"token": 999, "price": 1, "volume": 1}, \(Self.items[1]), 42, \(Self.items[2])]
            """)
        #expect(outcome.records == Self.expected)
        #expect(outcome.rejected.map(\.index) == [1, 3])
        #expect(outcome.rejected.map(\.message) == [
            "token 999 is not in the catalog",
            "an item must be a JSON object with token, price and volume, got a number",
        ])
        #expect(outcome.itemCount == 5)
    }

    @Test(arguments: [
        (#"{"price": 1, "volume": 1}"#, "token is missing"),
        (#"{"token": "408065", "price": 1, "volume": 1}"#, #"token must be an instrument_token (a whole number), got a string "408065""#),
        (#"{"token": 408065.5, "price": 1, "volume": 1}"#, "token 408065.5 is not an instrument_token (a whole number from 1 to 4294967295)"),
        (#"{"token": 4294967296, "price": 1, "volume": 1}"#, "token 4294967296 is not an instrument_token (a whole number from 1 to 4294967295)"),
        (#"{"token": 738561, "price": 1, "volume": 1}"#, "token 738561 (NSE:OLDCO) is delisted"),
        (#"{"token": 408065, "volume": 1}"#, "price is missing"),
        (#"{"token": 408065, "price": -1, "volume": 1}"#, "price -1 must be positive"),
        (#"{"token": 408065, "price": 0, "volume": 1}"#, "price 0 must be positive"),
        (#"{"token": 408065, "price": "1523.45", "volume": 1}"#, #"price must be a number, got a string "1523.45""#),
        (#"{"token": 408065, "price": true, "volume": 1}"#, "price must be a number, got true"),
        (#"{"token": 408065, "price": [1], "volume": 1}"#, "price must be a number, got an array"),
        (#"{"token": 408065, "price": 1523.456, "volume": 1}"#, "price 1523.456 has more than 2 decimals, the most tick size 0.05 allows"),
        (#"{"token": 408065, "price": 1e30, "volume": 1}"#, "price 1e30 is too large"),
        (#"{"token": 412675, "price": 88.25251, "volume": 1}"#, "price 88.25251 has more than 4 decimals, the most tick size 0.0025 allows"),
        (#"{"token": 408065, "price": 1, "volume": -3}"#, "volume -3 is negative"),
        (#"{"token": 408065, "price": 1, "volume": 1.5}"#, "volume 1.5 is not a whole number"),
        (#"{"token": 408065, "price": 1}"#, "volume is missing"),
        (#"{"token": 408065, "price": 1, "volume": 1, "oi": {"a": 1}}"#, "oi must be a whole number, got an object"),
        (#"{"token": 408065, "price": 1, "volume": 1, "bid": -0.05}"#, "bid -0.05 must be zero or more"),
        (#"{"token": 408065, "price": 1, "volume": 1, "ask": 1.001}"#, "ask 1.001 has more than 2 decimals, the most tick size 0.05 allows"),
        (#"{"token": 408065, "price": 1, "volume": 1, "time": "yesterday"}"#, #"time must be Unix seconds (a number), got a string "yesterday""#),
        (#"{"token": 408065, "price": 1, "volume": 1, "time": 1764300000125}"#, "time 1764300000125 is past the year 2262: send Unix seconds, not milliseconds"),
        (#"{"token": 408065, "price": 1, "volume": 1, "time": -5}"#, "time -5 is before 1970: send Unix seconds"),
        (#"{"token": 408065, "price": 1, "volume": 1, "time": 1764303600}"#, "time 1764303600 is 3600 s ahead of the server clock; at most 300 s is allowed"),
        (#"{"token": 408065, "price": 1, "vol": 1}"#, #"unknown field "vol" (known: token, price, volume, time, oi, bid, ask); volume is missing"#),
        (#"{"token": 408065, "price": 1, "price": 2, "volume": 1}"#, "field price appears twice"),
        (#"{"token": 999, "price": -2, "volume": 1.5}"#, "token 999 is not in the catalog; price -2 must be positive; volume 1.5 is not a whole number"),
        ("[1, 2]", "an item must be a JSON object with token, price and volume, got an array"),
        (#""tick""#, #"an item must be a JSON object with token, price and volume, got a string "tick""#),
    ])
    func eachInvalidItemIsRejectedWithAMessageThatSaysWhatToFix(item: String, message: String) throws {
        #expect(try rejection(of: item) == message)
    }

    @Test func pricesNeedNotSitOnTheTickGridOnlyAtItsDecimals() throws {
        let outcome = try parse(#"[{"token": 408065, "price": 1523.47, "volume": 1}, {"token": 256265, "price": 24500.1, "volume": 0}]"#)
        #expect(outcome.rejected.isEmpty)
        #expect(outcome.records.map(\.event) == [
            .tick(Tick(token: 408_065, price: 152_347, decimals: 2, volume: 1)),
            .tick(Tick(token: 256_265, price: 2_450_010, decimals: 2, volume: 0)),
        ])
    }

    @Test func escapedFieldNamesAndTimesWithinTheSkewAreFine() throws {
        let outcome = try parse(#"[{"pr\u0069ce": 1, "token": 408065, "volume": 1, "time": 1764300299.999999999}]"#)
        #expect(outcome.rejected.isEmpty)
        #expect(outcome.records.first?.time == Timestamp(rawValue: 1_764_300_299_999_999_999))
    }

    @Test func aSyntaxErrorInAnNDJSONLineRejectsThatLineOnly() throws {
        let outcome = try parse(Self.items[0] + "\n{\"token\": 408065, \"price\": 1,, }\n" + Self.items[1] + "\n{\"token\": 1} trailing\n")
        #expect(outcome.records == Array(Self.expected.prefix(2)))
        #expect(outcome.rejected == [
            .init(index: 1, message: "not valid JSON at column 30: expected a field name in quotes"),
            .init(index: 3, message: "not valid JSON at column 14: unexpected text after the object"),
        ])
    }

    @Test(arguments: [
        ("", TickIngestError.emptyBody),
        (" \n\t", .emptyBody),
        ("hello", .notTicks),
        ("42", .notTicks),
        ("[1, 2", .malformedJSON(line: 1, column: 6, reason: "expected ',' or ']' after an item, found the end")),
        ("[\n{\"token\": 1,}]", .malformedJSON(line: 2, column: 13, reason: "expected a field name in quotes")),
        ("[] []", .malformedJSON(line: 1, column: 4, reason: "unexpected text after the array")),
        ("[{\"a\": \"\u{01}\"}]", .malformedJSON(line: 1, column: 9, reason: "control character in a string")),
        ("[{\"a\": tru}]", .malformedJSON(line: 1, column: 8, reason: "invalid literal")),
        ("[{\"a\": 1.2.3}]", .malformedJSON(line: 1, column: 8, reason: "invalid number")),
    ])
    func aBodyThatIsNotATickArrayIsRefusedWhole(body: String, error: TickIngestError) {
        #expect(throws: error) { try parse(body) }
    }

    @Test func limitsOnItemsAndBytesRefuseTheWholeBody() {
        let item = #"{"token": 408065, "price": 1, "volume": 1}"#
        let atLimit = "[" + Array(repeating: item, count: TickIngest.maxItems).joined(separator: ",") + "]"
        #expect(throws: Never.self) { try parse(atLimit) }
        let overArray = "[" + Array(repeating: item, count: TickIngest.maxItems + 1).joined(separator: ",") + "]"
        #expect(throws: TickIngestError.tooManyItems(limit: TickIngest.maxItems)) { try parse(overArray) }
        let overLines = Array(repeating: item, count: TickIngest.maxItems + 1).joined(separator: "\n")
        #expect(throws: TickIngestError.tooManyItems(limit: TickIngest.maxItems)) { try parse(overLines) }
        let huge = [UInt8](repeating: 0x20, count: TickIngest.maxBodyBytes + 1)
        #expect(throws: TickIngestError.bodyTooLarge(bytes: TickIngest.maxBodyBytes + 1, limit: TickIngest.maxBodyBytes)) {
            try ingest.parse(huge)
        }
    }

    @Test func deepNestingIsRefusedWithoutRecursion() throws {
        let deep = "[{\"x\": " + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "}]"
        #expect(throws: TickIngestError.malformedJSON(line: 1, column: 72, reason: "values nested deeper than 64 levels")) { try parse(deep) }
        let allowed = "[{\"x\": " + String(repeating: "[{\"y\":", count: 32) + "1" + String(repeating: "}]", count: 32) + "}]"
        #expect(try rejection(of: String(allowed.dropFirst().dropLast())).hasPrefix("unknown field \"x\""))
    }

    @Test func randomAndMutatedBodiesNeverCrashAndAlwaysAccountForEveryItem() {
        var rng = SplitMix64(seed: 17)
        let valid = Array(("[" + Self.items.joined(separator: ",") + "]").utf8)
        let lines = Array(Self.items.joined(separator: "\n").utf8)
        let alphabet = Array(#"{}[]",:0123456789.-+eE tfnrulasx\u"#.utf8) + [0x0A, 0x00, 0xFF, 0xC3]
        for round in 0..<30_000 {
            var body: [UInt8]
            switch round % 4 {
            case 0:
                body = round % 8 == 0 ? valid : lines
                for _ in 0...(rng.next() % 4) { body[Int(rng.next() % UInt64(body.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            case 1:
                body = round % 8 == 1 ? valid : lines
                body.removeLast(Int(rng.next() % UInt64(body.count)))
            case 2:
                body = (0..<Int(rng.next() % 96)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            default:
                body = (0..<Int(rng.next() % 96)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            guard let outcome = try? ingest.parse(body) else { continue }
            #expect(outcome.itemCount <= TickIngest.maxItems)
            #expect(Set(outcome.rejected.map(\.index)).count == outcome.rejected.count)
            for case .tick(let tick) in outcome.records.map(\.event) { #expect(tick.price > 0) }
        }
    }
}
