import EventLog

/// A text frame a KiteTicker client sends to change what it streams (kite.md "Ticker WebSocket");
/// a value type, usable from any thread.
public enum KiteClientMessage: Hashable, Sendable {
    /// `{"a":"subscribe","v":[408065,884737]}`: stream these tokens, in quote mode unless a mode was set.
    case subscribe([UInt32])
    /// `{"a":"unsubscribe","v":[408065]}`: stop streaming these tokens.
    case unsubscribe([UInt32])
    /// `{"a":"mode","v":["full",[408065]]}`: stream these tokens in this mode.
    case mode(KiteMode, [UInt32])

    /// Reads a client text frame; anything else fails with an error whose description can be sent back.
    public init(parsing text: String) throws(KiteError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Reads a client text frame from its UTF-8 bytes.
    public init(parsing utf8: [UInt8]) throws(KiteError) {
        guard case .object(let members) = try KiteJSONParser.parse(utf8) else {
            throw .invalidMessage(#"a message is a JSON object such as {"a":"subscribe","v":[408065]}"#)
        }
        guard case .string(let action) = members["a"] else {
            throw .invalidMessage(#"the "a" field must be a string: subscribe, unsubscribe or mode"#)
        }
        guard let value = members["v"] else { throw .invalidMessage(#"the "v" field is missing"#) }
        switch action {
        case "subscribe": self = .subscribe(try Self.tokens(value, action: action))
        case "unsubscribe": self = .unsubscribe(try Self.tokens(value, action: action))
        case "mode":
            guard case .array(let pair) = value, pair.count == 2, case .string(let name) = pair[0] else {
                throw .invalidMessage(#"a mode message's "v" is [mode, [tokens]], such as ["full",[408065]]"#)
            }
            guard let mode = KiteMode(rawValue: name) else { throw .unknownMode(KiteJSON.string(name).summary) }
            self = .mode(mode, try Self.tokens(pair[1], action: action))
        default:
            throw .unknownAction(KiteJSON.string(action).summary)
        }
    }

    /// The message as a client sends it, compact with keys in Kite's order.
    public var json: String {
        var text = JSONText()
        text.beginObject()
        text.key("a")
        switch self {
        case .subscribe(let tokens):
            text.value("subscribe")
            text.key("v")
            Self.write(tokens, to: &text)
        case .unsubscribe(let tokens):
            text.value("unsubscribe")
            text.key("v")
            Self.write(tokens, to: &text)
        case .mode(let mode, let tokens):
            text.value("mode")
            text.key("v")
            text.beginArray()
            text.value(mode.rawValue)
            Self.write(tokens, to: &text)
            text.endArray()
        }
        text.endObject()
        return text.string
    }

    /// A token list: JSON integers from 0 to UInt32.max written without fraction or exponent, as clients send them.
    private static func tokens(_ value: KiteJSON, action: String) throws(KiteError) -> [UInt32] {
        guard case .array(let elements) = value else {
            throw .invalidMessage("\(action)'s \"v\" must be an array of instrument tokens")
        }
        var tokens: [UInt32] = []
        tokens.reserveCapacity(elements.count)
        for element in elements {
            // The grammar already checked the literal, so digits only means a non-negative integer; UInt32 refuses overflow.
            guard case .number(let literal) = element, literal.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let token = UInt32(literal) else { throw .invalidToken(element.summary) }
            tokens.append(token)
        }
        return tokens
    }

    private static func write(_ tokens: [UInt32], to text: inout JSONText) {
        text.beginArray()
        for token in tokens { text.value(token) }
        text.endArray()
    }
}
