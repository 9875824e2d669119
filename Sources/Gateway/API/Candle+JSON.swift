import EventLog
import Projections

extension Candle {
    /// The bar as `GET /candles` items and `candle` messages carry it:
    /// `{"time" (Unix seconds of its start),"open","high","low","close","volume"}`.
    func writeJSON(to j: inout JSONText) {
        j.beginObject()
        writeFields(to: &j)
        j.endObject()
    }

    /// The bar's fields without the braces, for objects that add their own (a `candle` message's token).
    func writeFields(to j: inout JSONText) {
        j.key("time"); j.value(time.rawValue / 1_000_000_000)
        j.key("open"); j.decimal(open, decimals: decimals)
        j.key("high"); j.decimal(high, decimals: decimals)
        j.key("low"); j.decimal(low, decimals: decimals)
        j.key("close"); j.decimal(close, decimals: decimals)
        j.key("volume"); j.value(volume)
    }
}
