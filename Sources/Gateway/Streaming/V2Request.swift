import Foundation

/// A client message on `/ws/v2`, parsed; a value.
enum V2Request: Equatable {
    case subscribe(tokens: [UInt32], mode: StreamMode)
    case unsubscribe(tokens: [UInt32])
    case ping
    /// Turns the session into a replay of history (see `ReplaySession`).
    case replay(ReplayRequest)
    case pause
    case resume
    case seek(ReplaySeek)

    /// Why a message was refused: `code` is stable for programs, `message` is for people.
    struct Failure: Error, Equatable {
        var code: String
        var message: String
    }

    /// Parses `{"action":"subscribe","tokens":[…],"mode":"ltp|quote|full"}`, `unsubscribe`, `ping`, and the
    /// replay messages (`replay`, `pause`, `resume`, `seek`; see `V2Request+Replay`).
    static func parse(_ text: String) -> Result<V2Request, Failure> {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any] else {
            return .failure(Failure(code: "invalid_json", message: "a message must be a JSON object such as {\"action\":\"ping\"}"))
        }
        guard let action = object["action"] as? String else {
            return .failure(Failure(code: "invalid_message", message: "\"action\" must be one of \(actions)"))
        }
        switch action {
        case "ping":
            return .success(.ping)
        case "pause":
            return .success(.pause)
        case "resume":
            return .success(.resume)
        case "replay":
            return replay(object)
        case "seek":
            return seek(object)
        case "subscribe", "unsubscribe":
            guard let tokens = tokenList(object["tokens"]) else {
                return .failure(Failure(code: "invalid_tokens", message: "\"tokens\" must be a non-empty array of instrument tokens (integers 1 to 4294967295)"))
            }
            if action == "unsubscribe" { return .success(.unsubscribe(tokens: tokens)) }
            var mode = StreamMode.ltp
            if let value = object["mode"] {
                guard let name = value as? String, let parsed = StreamMode(rawValue: name) else {
                    return .failure(Failure(code: "invalid_mode", message: "\"mode\" must be ltp, quote or full"))
                }
                mode = parsed
            }
            return .success(.subscribe(tokens: tokens, mode: mode))
        default:
            return .failure(Failure(code: "unknown_action", message: "unknown action \"\(action.prefix(64))\": use \(actions)"))
        }
    }

    private static let actions = "subscribe, unsubscribe, ping, replay, pause, resume or seek"

    /// Integers in 1...UInt32.max; booleans and fractions are refused (on Linux any NSNumber casts to Bool and Int).
    static func tokenList(_ value: Any?) -> [UInt32]? {
        guard let array = value as? [Any], !array.isEmpty else { return nil }
        var tokens: [UInt32] = []
        tokens.reserveCapacity(array.count)
        for element in array {
            guard let number = element as? NSNumber, !isBoolean(number),
                  let double = Double(exactly: number.doubleValue), double == double.rounded(),
                  double >= 1, double <= Double(UInt32.max) else { return nil }
            tokens.append(UInt32(double))
        }
        return tokens
    }
}
