import EventLog
import Projections

extension InstrumentRecord {
    /// Writes the record as one API item: the Kite instrument-master fields, then its lifecycle.
    ///
    /// Times are Unix seconds (exact, up to nine fractional digits) like the log's own JSON dumps; `delisted_at` is
    /// always present, null while the instrument is active, so clients and the schema see one fixed shape.
    public func writeJSON(to json: inout JSONText) {
        json.beginObject()
        instrument.writeFields(to: &json)
        json.key("active"); json.value(isActive)
        json.key("listed_at"); json.seconds(listedTime)
        json.key("updated_at"); json.seconds(updatedTime)
        json.key("delisted_at"); if let delistedTime { json.seconds(delistedTime) } else { json.null() }
        json.endObject()
    }
}
