/// A JSON value as a client text frame holds it. Numbers keep their text so a token is checked exactly, never
/// through a lossy Double or a bridged NSNumber. A value type, usable from any thread.
enum KiteJSON: Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, already checked against the RFC 8259 §6 grammar.
    case number(String)
    case string(String)
    case array([KiteJSON])
    case object([String: KiteJSON])

    /// A short rendering for error messages, so a hostile value cannot make a huge reply.
    var summary: String {
        let text = switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .number(let literal): literal
        case .string(let value): "\"\(value)\""
        case .array: "an array"
        case .object: "an object"
        }
        let limit = 24
        return text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }
}
