import EventLog
import Foundation
import Testing
@testable import Gateway

/// OpenAPISchema: each pattern the document publishes accepts exactly what the server's parser accepts, on edge cases
/// and on seeded random strings over the characters that matter (what schemathesis relies on in both directions).
@Suite struct OpenAPISchemaTests {
    /// The `pattern` of a schema fragment, compiled as the anchored regular expression it is.
    static func pattern(of schema: String) throws -> NSRegularExpression {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(schema.utf8)) as? [String: Any])
        return try NSRegularExpression(pattern: try #require(object["pattern"] as? String))
    }

    static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Strings of `alphabet`'s characters, 0 to `maxLength` long, from a seeded generator.
    static func randomStrings(_ count: Int, alphabet: [Character], maxLength: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            String((0..<Int.random(in: 0...maxLength, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
        }
    }

    static func serverAcceptsTokens(_ text: String, atMost limit: Int?) -> Bool {
        let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
        do {
            let query = try QueryParameters(HTTPRequest(method: .get, target: "/x?tokens=\(encoded)"), allowed: ["tokens"])
            return try query.instrumentTokens("tokens", atMost: limit) != nil
        } catch {
            return false
        }
    }

    @Test(arguments: [3, nil] as [Int?])
    func tokenListPatternAcceptsExactlyWhatTheServerParses(limit: Int?) throws {
        let regex = try Self.pattern(of: OpenAPISchema.instrumentTokenList(atMost: limit))
        let edges = ["0", "7", "4294967295", "4294967296", "9999999999", "42949672950", "007", "00", "", ",", "1,", ",1",
                     "1,,2", "1,2,3", "1,2,3,4", "+1", "-1", " 1", "1 ", "4294967289,10,0"]
        let random = Self.randomStrings(3_000, alphabet: Array("0123456789,0129,4"), maxLength: 24, seed: 20_261_129)
        for text in edges + random {
            #expect(Self.matches(regex, text) == Self.serverAcceptsTokens(text, atMost: limit), "\"\(text)\"")
        }
    }

    @Test func timePatternAcceptsOnlyTimesTheServerParses() throws {
        let regex = try Self.pattern(of: OpenAPISchema.time)
        let edges = ["0", "1764300000", "1764300000.5", "-5", "9223372035.999999999", "9223372036", "92233720360",
                     "2026-11-27", "2026-11-27T09:15", "2026-11-27T09:15:00Z", "2026-11-27T09:15:00.123456789Z",
                     "2026-13-01", "2026-11-27T24:00", "1700-01-01", "2262-04-12", "", "2026-11-27T09:15:00+05:30"]
        let random = Self.randomStrings(3_000, alphabet: Array("0123456789-:.TZ2026-11-27T09:15:00"), maxLength: 26, seed: 7)
        var matched = 0
        for text in edges + random where Self.matches(regex, text) {
            matched += 1
            // Narrower than the parser only where a pattern cannot check the calendar (days 29 to 31, 1678 to 1699, 2260 to 2262).
            #expect(Timestamp(iso8601: text) != nil, "\"\(text)\"")
        }
        #expect(matched >= 9)
        for text in ["2026-13-01", "2026-11-27T24:00", "", "9223372036", "2026-11-27T09:15:00+05:30"] {
            #expect(!Self.matches(regex, text), "\"\(text)\"")
        }
    }

    @Test func secondsSchemaEndsWhereTheQueryParserDoes() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPISchema.unixSeconds.utf8)) as? [String: Any])
        let maximum = try #require(object["maximum"] as? Int)
        let parse = { (value: Int) throws(HTTPError) in
            try QueryParameters(HTTPRequest(method: .get, target: "/x?to=\(value)"), allowed: ["to"]).seconds("to")
        }
        #expect(try parse(maximum) != nil)
        #expect(throws: HTTPError.self) { try parse(maximum + 1) }
    }
}
