import EventLog
import Projections
import Services

/// `/ws/v2` ticks as JSON: `{"type":"ticks","data":[{"token","price","volume","time","offset",…}]}`.
struct V2Encoding: StreamEncoding {
    var slot: Int { 0 }

    func fragment(of update: TickUpdate, mode: StreamMode) -> [UInt8] {
        var j = JSONText(capacity: mode == .ltp ? 96 : 256)
        V2Encoding.write(update, mode: mode, to: &j)
        return j.bytes
    }

    /// The fields of one tick object; shared by tick and snapshot messages.
    static func write(_ update: TickUpdate, mode: StreamMode, to j: inout JSONText) {
        let tick = update.tick
        j.beginObject()
        j.key("token"); j.value(tick.token)
        j.key("price"); j.decimal(tick.price, decimals: tick.decimals)
        j.key("volume"); j.value(tick.volume)
        j.key("time"); j.seconds(update.time)
        j.key("offset"); j.value(update.offset)
        if mode != .ltp { update.quote.writeDayFields(to: &j) }
        if mode == .full {
            if let oi = tick.openInterest { j.key("oi"); j.value(oi) }
            if let bid = tick.bid { j.key("bid"); j.decimal(bid, decimals: tick.decimals) }
            if let ask = tick.ask { j.key("ask"); j.decimal(ask, decimals: tick.decimals) }
        }
        j.endObject()
    }

    var isBinary: Bool { false }

    private static let ticksHead = Array(#"{"type":"ticks","data":["#.utf8)

    var head: [UInt8] { Self.ticksHead }

    var separator: UInt8? { UInt8(ascii: ",") }

    func finish(_ message: inout FrameBuffer, count: Int) {
        message.append(UInt8(ascii: "]"))
        message.append(UInt8(ascii: "}"))
    }

    /// `{"type":"signal","data":{"model","token","time","value","label","confidence","offset"}}`.
    static func signalMessage(_ signal: SignalPublished, time: Timestamp, offset: UInt64) -> [UInt8] {
        var j = JSONText(capacity: 192)
        j.beginObject()
        j.key("type"); j.value("signal")
        j.key("data"); writeSignal(signal, time: time, offset: offset, to: &j)
        j.endObject()
        return j.bytes
    }

    /// One signal object, as `GET /signals` items and `signal` messages carry it.
    static func writeSignal(_ signal: SignalPublished, time: Timestamp, offset: UInt64, to j: inout JSONText) {
        j.beginObject()
        j.key("model"); j.value(signal.model)
        j.key("token"); j.value(signal.token)
        j.key("time"); j.seconds(time)
        j.key("value"); j.value(signal.value)
        j.key("label"); if let label = signal.label { j.value(label) } else { j.null() }
        j.key("confidence"); if let confidence = signal.confidence { j.value(confidence) } else { j.null() }
        j.key("offset"); j.value(offset)
        j.endObject()
    }

    /// `{"type":"alert","alert_id","token","firing":{"n","tick_offset","offset","price","time","rule_version"}}`:
    /// what the owner's sessions are sent when an alert fires (live, or re-evaluated in a replay).
    static func alertMessage(_ firing: AlertFiring) -> StreamMessage {
        var j = JSONText(capacity: 256)
        j.beginObject()
        j.key("type"); j.value("alert")
        j.key("alert_id"); j.value(firing.alertID)
        j.key("token"); j.value(firing.token)
        j.key("firing"); firing.writeJSON(to: &j)
        j.endObject()
        return StreamMessage(isBinary: false, bytes: j.bytes)
    }

    /// `{"type":"candle","data":{"token","resolution","time","open","high","low","close","volume"}}`: a bar
    /// that closed (see `CandleCloser`), sent to the token's sessions live and in replays.
    static func candleMessage(_ candle: Candle, token: UInt32, resolution: CandleResolution) -> StreamMessage {
        var j = JSONText(capacity: 192)
        j.beginObject()
        j.key("type"); j.value("candle")
        j.key("data"); j.beginObject()
        j.key("token"); j.value(token)
        j.key("resolution"); j.value(resolution.rawValue)
        candle.writeFields(to: &j)
        j.endObject()
        j.endObject()
        return StreamMessage(isBinary: false, bytes: j.bytes)
    }
}
