import EventLog
import Foundation
import Testing
@testable import Gateway

/// QueryParameters: what it accepts, and that each refusal is a 400 naming the parameter.
@Suite struct APIQueryParametersTests {
    static func parameters(_ query: String, allowed: [String] = ["limit", "day", "mode", "q"]) throws(HTTPError) -> QueryParameters {
        try QueryParameters(HTTPRequest(method: .get, target: "/x?\(query)"), allowed: allowed)
    }

    /// The HTTPError `body` throws, or nil when it throws nothing (or something else, which the test then reports).
    static func refusal(_ body: () throws -> Void) -> HTTPError? {
        do { try body() } catch { return error as? HTTPError }
        return nil
    }

    @Test func valuesArePercentDecodedAndAbsentOnesAreNil() throws {
        let query = try Self.parameters("q=TATA%20%22MOTORS%22&limit=")
        #expect(query.string("q") == "TATA \"MOTORS\"")
        #expect(query.contains("limit") && query.string("limit") == "")
        #expect(query.string("mode") == nil && !query.contains("mode"))
    }

    @Test func unknownNameIsRefusedListingTheAcceptedOnes() {
        let error = Self.refusal { _ = try Self.parameters("limt=5") }
        #expect(error?.status == .badRequest)
        #expect(error?.code == "unknown_parameter")
        #expect(error?.message.contains("\"limt\"") == true)
        #expect(error?.message.contains("limit, day, mode, q") == true)
    }

    @Test func repeatedNameIsRefused() {
        let error = Self.refusal { _ = try Self.parameters("q=a&q=b") }
        #expect(error?.code == "invalid_parameter")
        #expect(error?.message.contains("more than once") == true)
    }

    @Test(arguments: ["", "0", "11", "-1", "+5", "5.0", " 5", "99999999999999999999999"])
    func integersOutsideTheRangeOrNotPlainDigitsAreRefused(text: String) throws {
        let query = try Self.parameters("limit=\(text)")
        let error = Self.refusal { _ = try query.integer("limit", in: 1...10) }
        #expect(error?.status == .badRequest)
        #expect(error?.message.hasPrefix("limit must be an integer in 1...10") == true)
    }

    @Test func integersInRangeAndDefaultsAreRead() throws {
        #expect(try Self.parameters("limit=007").integer("limit", in: 1...10) == 7)
        #expect(try Self.parameters("").integer("limit", in: 1...10, default: 3) == 3)
        #expect(try Self.parameters("").integer("limit", in: 1...10) == nil)
    }

    @Test func daysAreReadAsYYYYMMDDOnly() throws {
        #expect(try Self.parameters("day=2028-02-29").day("day") == CalendarDay(year: 2028, month: 2, day: 29))
        for text in ["2027-02-29", "2026-1-01", "2026-+1-01", "+202-01-01", "2026-11-01 ", "20261101", "today"] {
            let query = try Self.parameters("day=\(text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
            #expect(Self.refusal { _ = try query.day("day") }?.message.contains("day must be a date as YYYY-MM-DD") == true)
        }
    }

    @Test func choicesAreExactAndDefaultWhenAbsent() throws {
        let choices: KeyValuePairs<String, Int> = ["one": 1, "two": 2]
        #expect(try Self.parameters("mode=two").choice("mode", choices, default: 0) == 2)
        #expect(try Self.parameters("").choice("mode", choices, default: 0) == 0)
        let query = try Self.parameters("mode=TWO")
        #expect(Self.refusal { _ = try query.choice("mode", choices, default: 0) }?.message == "mode must be one of one, two, got \"TWO\"")
    }
}
