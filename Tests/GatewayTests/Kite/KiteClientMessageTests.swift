import Foundation
import Testing
@testable import Gateway

@Suite struct KiteClientMessageTests {
    static let valid: [(String, KiteClientMessage)] = [
        (#"{"a":"subscribe","v":[408065,884737]}"#, .subscribe([408065, 884737])),
        (#"{"a":"unsubscribe","v":[408065]}"#, .unsubscribe([408065])),
        (#"{"a":"mode","v":["full",[408065]]}"#, .mode(.full, [408065])),
        // The official Python client's json.dumps separators.
        (#"{"a": "mode", "v": ["ltp", [408065, 884737]]}"#, .mode(.ltp, [408065, 884737])),
        (" \r\n\t{ \"v\" : [ ] , \"a\" : \"subscribe\" } \n", .subscribe([])),
        (#"{"a":"subscribe","v":[0,4294967295],"extra":{"ignored":[1.5,null,true]}}"#, .subscribe([0, 4_294_967_295])),
        (#"{"a":"sub\u0073cribe","v":[1]}"#, .subscribe([1])),
        (#"{"a":"mode","v":["quote",[]]}"#, .mode(.quote, [])),
    ]

    @Test(arguments: valid)
    func validMessagesParse(text: String, expected: KiteClientMessage) throws {
        #expect(try KiteClientMessage(parsing: text) == expected)
    }

    /// Failures by case; the offset of malformed JSON is checked where it matters, in `malformedJSONSaysWhere`.
    static let invalid: [(String, String)] = [
        ("", "malformedJSON"),
        ("subscribe", "malformedJSON"),
        (#"{"a":"subscribe","v":[1,]}"#, "malformedJSON"),
        (#"{"a":"subscribe","v":[1]} x"#, "malformedJSON"),
        (#"{"a":"subscribe","v":[1"#, "malformedJSON"),
        (#"{"a":"subscribe","a":"mode","v":[1]}"#, "malformedJSON"),
        (#"{'a':'subscribe','v':[1]}"#, "malformedJSON"),
        (#"{"a":"subscribe","v":[01]}"#, "malformedJSON"),
        (#"{"a":"subscribe","v":[NaN]}"#, "malformedJSON"),
        (#"{"a":"subscribe","v":[Infinity]}"#, "malformedJSON"),
        (#"{"a":"subscribe","v":[+1]}"#, "malformedJSON"),
        (#"{"a":"subscribe","v":[1.]}"#, "malformedJSON"),
        (#"{"a":"subscribe\x","v":[1]}"#, "malformedJSON"),
        (#"{"a":"\ud800","v":[1]}"#, "malformedJSON"),
        (#"{"a":"\udc00","v":[1]}"#, "malformedJSON"),
        ("{\"a\":\"sub\nscribe\",\"v\":[1]}", "malformedJSON"),
        ("{\"a\":\"subscribe\",\"v\":[1]}\u{0}", "malformedJSON"),
        (#"[1,2]"#, "invalidMessage"),
        (#"408065"#, "invalidMessage"),
        (#"{"a":"subscribe"}"#, "invalidMessage"),
        (#"{"v":[1]}"#, "invalidMessage"),
        (#"{"a":1,"v":[1]}"#, "invalidMessage"),
        (#"{"a":"subscribe","v":408065}"#, "invalidMessage"),
        (#"{"a":"subscribe","v":{"t":1}}"#, "invalidMessage"),
        (#"{"a":"mode","v":["full"]}"#, "invalidMessage"),
        (#"{"a":"mode","v":["full",[1],[2]]}"#, "invalidMessage"),
        (#"{"a":"mode","v":[["full"],[1]]}"#, "invalidMessage"),
        (#"{"a":"mode","v":["full",408065]}"#, "invalidMessage"),
        (#"{"a":"Subscribe","v":[1]}"#, "unknownAction"),
        (#"{"a":"mode","v":["FULL",[1]]}"#, "unknownMode"),
    ]

    @Test(arguments: invalid)
    func invalidMessagesFailWithTheRightError(text: String, kind: String) {
        let error = #expect(throws: KiteError.self, "\(text)") { try KiteClientMessage(parsing: text) }
        #expect(error.map { Self.kind(of: $0) } == kind, "\(text)")
    }

    static let invalidTokens: [(String, String)] = [
        ("1.5", "1.5"), ("1.0", "1.0"), ("1e3", "1e3"), ("-1", "-1"), ("-0", "-0"), ("4294967296", "4294967296"),
        ("99999999999999999999999999999999", "999999999999999999999999…"), ("\"408065\"", "\"408065\""),
        ("true", "true"), ("false", "false"), ("null", "null"), ("[1]", "an array"), ("{}", "an object"),
    ]

    /// On Linux every NSNumber casts to Bool and back, so tokens are checked on their JSON text instead.
    @Test(arguments: invalidTokens)
    func tokensThatAreNotUInt32IntegersFail(token: String, summary: String) {
        #expect(throws: KiteError.invalidToken(summary)) { try KiteClientMessage(parsing: #"{"a":"subscribe","v":[1,\#(token)]}"#) }
        #expect(throws: KiteError.invalidToken(summary)) { try KiteClientMessage(parsing: #"{"a":"mode","v":["ltp",[\#(token)]]}"#) }
    }

    @Test func malformedJSONSaysWhere() {
        #expect(throws: KiteError.malformedJSON(offset: 24, reason: "unexpected character")) {
            try KiteClientMessage(parsing: #"{"a":"subscribe","v":[1,]}"#)
        }
        #expect(throws: KiteError.malformedJSON(offset: 17, reason: "duplicate key")) {
            try KiteClientMessage(parsing: #"{"a":"subscribe","a":"mode","v":[1]}"#)
        }
    }

    @Test func deepNestingFailsFastWithoutExhaustingTheStack() {
        for opener in ["[", "{\"a\":"] {
            let text = String(repeating: opener, count: 200_000)
            let error = #expect(throws: KiteError.self) { try KiteClientMessage(parsing: text) }
            #expect(error?.description.contains("nested deeper than 8 levels") == true, "\(opener)")
        }
    }

    @Test func hugeNumbersAndStringsGiveShortErrors() {
        let digits = String(repeating: "9", count: 100_000)
        let name = String(repeating: "x", count: 100_000)
        for text in [#"{"a":"subscribe","v":[\#(digits)]}"#, #"{"a":"\#(name)","v":[]}"#, #"{"a":"mode","v":["\#(name)",[]]}"#] {
            let error = #expect(throws: KiteError.self) { try KiteClientMessage(parsing: text) }
            #expect((error?.description.count ?? .max) < 120)
        }
    }

    @Test func manyTokensParse() throws {
        let tokens = (0..<100_000).map { UInt32($0) * 251 + 1 }
        #expect(try KiteClientMessage(parsing: KiteClientMessage.subscribe(tokens).json) == .subscribe(tokens))
    }

    @Test func seededRandomBytesNeverCrash() {
        var random = SeededGenerator(seed: 0xB17E5)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = try? KiteClientMessage(parsing: bytes)
        }
    }

    /// Random sequences of JSON pieces: the hand parser accepts exactly what Foundation's parser accepts,
    /// except duplicate keys, which it refuses on purpose.
    @Test func seededRandomJSONIsJudgedLikeFoundationJudgesIt() {
        let pieces = ["{", "}", "[", "]", ",", ":", "\"a\"", "\"v\"", "\"\\u00e9\"", "1", "-", "0", ".5", "e3", "true", "null", " "]
        var random = SeededGenerator(seed: 0x15_0A)
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 1...10, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let ours: Result<KiteJSON, KiteError> = Result { () throws(KiteError) in try KiteJSONParser.parse(Array(text.utf8)) }
            if case .failure(.malformedJSON(_, "duplicate key")) = ours { continue }
            let foundation = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil
            let accepted = (try? ours.get()) != nil
            #expect(accepted == foundation, "\(text)")
        }
    }

    @Test func seededRandomMessagesSurviveTheirOwnJSON() throws {
        var random = SeededGenerator(seed: 0xC11E47)
        for _ in 0..<500 {
            let tokens = (0..<Int.random(in: 0...20, using: &random)).map { _ in UInt32.random(in: 0...UInt32.max, using: &random) }
            let message: KiteClientMessage = switch Int.random(in: 0..<3, using: &random) {
            case 0: .subscribe(tokens)
            case 1: .unsubscribe(tokens)
            default: .mode(KiteMode.allCases.randomElement(using: &random)!, tokens)
            }
            #expect(try KiteClientMessage(parsing: message.json) == message)
        }
    }

    @Test func messagesWriteTheJSONTheOfficialClientsSend() {
        #expect(KiteClientMessage.subscribe([408065, 884737]).json == #"{"a":"subscribe","v":[408065,884737]}"#)
        #expect(KiteClientMessage.mode(.full, [408065]).json == #"{"a":"mode","v":["full",[408065]]}"#)
    }

    @Test func errorFramesCarryTheErrorDescriptionEscaped() throws {
        let error = KiteError.unknownMode(#""fu\"ll""#)
        let frame = KiteServerMessage(error).json
        let object = try #require(try JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [String: String])
        #expect(object == ["type": "error", "data": error.description])
        #expect(KiteServerMessage.error("no\nway").json == #"{"type":"error","data":"no\nway"}"#)
    }

    static func kind(of error: KiteError) -> String {
        switch error {
        case .malformedJSON: "malformedJSON"
        case .invalidMessage: "invalidMessage"
        case .unknownAction: "unknownAction"
        case .unknownMode: "unknownMode"
        case .invalidToken: "invalidToken"
        default: "\(error)"
        }
    }
}
