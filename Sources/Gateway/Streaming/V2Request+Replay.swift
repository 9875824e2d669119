import EventLog
import Foundation

/// Parsing of the replay messages: `replay`, `pause`, `resume`, `seek`.
extension V2Request {
    /// The fields a `replay` message may carry; anything else is refused so that a typo is not silently ignored.
    static let replayFields: Set<String> = ["action", "from", "from_offset", "to", "tokens", "mode", "speed"]

    /// `{"action":"replay","from"|"from_offset","to","tokens","mode","speed"}`, every field but `action` optional.
    static func replay(_ object: [String: Any]) -> Result<V2Request, Failure> {
        if let unknown = object.keys.filter({ !replayFields.contains($0) }).sorted().first {
            return .failure(Failure(code: "invalid_replay", message: "unknown field \"\(unknown.prefix(64))\": a replay takes from or from_offset, to, tokens, mode and speed"))
        }
        var request = ReplayRequest()
        do {
            request.from = try time(object["from"], name: "from")
            request.to = try time(object["to"], name: "to")
            request.fromOffset = try offset(object["from_offset"], name: "from_offset")
        } catch {
            return .failure(error)
        }
        if request.from != nil, request.fromOffset != nil {
            return .failure(Failure(code: "invalid_replay", message: "give from or from_offset, not both"))
        }
        if let from = request.from, let to = request.to, to <= from {
            return .failure(Failure(code: "invalid_replay", message: "\"to\" must be after \"from\" (to is exclusive)"))
        }
        if let value = object["tokens"] {
            guard let tokens = tokenList(value) else {
                return .failure(Failure(code: "invalid_tokens", message: "\"tokens\" must be a non-empty array of instrument tokens (integers 1 to 4294967295), or left out for every token"))
            }
            request.tokens = tokens
        }
        if let value = object["mode"] {
            guard let name = value as? String, let mode = StreamMode(rawValue: name) else {
                return .failure(Failure(code: "invalid_mode", message: "\"mode\" must be ltp, quote or full"))
            }
            request.mode = mode
        }
        if let value = object["speed"] {
            guard let speed = speed(value) else {
                return .failure(Failure(code: "invalid_speed", message: "\"speed\" must be a positive number (1 = as it happened, 10 = ten times faster) or \"max\""))
            }
            request.speed = speed
        }
        return .success(.replay(request))
    }

    /// `{"action":"seek","to":TIME}` or `{"action":"seek","offset":N}`.
    static func seek(_ object: [String: Any]) -> Result<V2Request, Failure> {
        let usage = "a seek takes either \"to\" (Unix seconds or ISO 8601) or \"offset\" (a log offset)"
        if let unknown = object.keys.filter({ !["action", "to", "offset"].contains($0) }).sorted().first {
            return .failure(Failure(code: "invalid_seek", message: "unknown field \"\(unknown.prefix(64))\": \(usage)"))
        }
        do {
            switch (try time(object["to"], name: "to"), try offset(object["offset"], name: "offset")) {
            case (let time?, nil): return .success(.seek(.time(time)))
            case (nil, let offset?): return .success(.seek(.offset(offset)))
            default: return .failure(Failure(code: "invalid_seek", message: usage + ", not both"))
            }
        } catch {
            return .failure(error)
        }
    }

    /// A time as Unix seconds (a number, or a string of one) or ISO 8601 text; nil when absent.
    private static func time(_ value: Any?, name: String) throws(Failure) -> Timestamp? {
        guard let value else { return nil }
        let text: String
        if let string = value as? String {
            text = string
        } else if let number = value as? NSNumber, !isBoolean(number) {
            text = number.stringValue
        } else {
            text = ""
        }
        guard let time = Timestamp(iso8601: text) else {
            throw Failure(code: "invalid_time", message: "\"\(name)\" must be Unix seconds or a time such as 2026-11-27T09:15:00Z")
        }
        return time
    }

    /// A log offset: a whole number from 0; nil when absent.
    private static func offset(_ value: Any?, name: String) throws(Failure) -> UInt64? {
        guard let value else { return nil }
        guard let number = value as? NSNumber, !isBoolean(number), let double = Double(exactly: number.doubleValue),
              double == double.rounded(), double >= 0, double <= 9_007_199_254_740_992 else {
            throw Failure(code: "invalid_offset", message: "\"\(name)\" must be a log offset: a whole number from 0")
        }
        return UInt64(double)
    }

    /// A positive finite number, a string of one, or `"max"` (nil speed).
    private static func speed(_ value: Any) -> Double?? {
        if let text = value as? String {
            if text == "max" { return .some(nil) }
            guard let speed = Double(text), speed > 0, speed.isFinite else { return nil }
            return speed
        }
        guard let number = value as? NSNumber, !isBoolean(number), number.doubleValue > 0, number.doubleValue.isFinite else { return nil }
        return number.doubleValue
    }

    /// JSON `true`/`false` arrive as NSNumber too (and on Linux cast to any number type).
    static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }
}
