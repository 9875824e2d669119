import EventLog
import Projections

extension Quote {
    /// The day's fields, shared by `GET /quotes` and `/ws/v2` quote and full modes: `open`,
    /// `high`, `low`, `close` (the last price), `previous_close` (when known), `change` and
    /// `change_pct` (against the previous close, or the day's open on a first day), `day_volume`.
    func writeDayFields(to j: inout JSONText) {
        j.key("open"); j.decimal(open, decimals: decimals)
        j.key("high"); j.decimal(high, decimals: decimals)
        j.key("low"); j.decimal(low, decimals: decimals)
        j.key("close"); j.decimal(close, decimals: decimals)
        if let previousClose { j.key("previous_close"); j.decimal(previousClose, decimals: decimals) }
        j.key("change"); j.decimal(change, decimals: decimals)
        j.key("change_pct"); j.value((changePercent * 100).rounded() / 100)
        j.key("day_volume"); j.value(dayVolume)
    }

    /// One `GET /quotes` item: the last tick and the day's fields.
    func writeJSON(to j: inout JSONText) {
        j.beginObject()
        j.key("token"); j.value(token)
        j.key("price"); j.decimal(lastPrice, decimals: decimals)
        j.key("volume"); j.value(lastQuantity)
        j.key("time"); j.seconds(lastTime)
        j.key("offset"); j.value(lastOffset)
        j.key("day"); j.value(day.description)
        writeDayFields(to: &j)
        if let openInterest { j.key("oi"); j.value(openInterest) }
        if let bid { j.key("bid"); j.decimal(bid, decimals: decimals) }
        if let ask { j.key("ask"); j.decimal(ask, decimals: decimals) }
        j.endObject()
    }
}
