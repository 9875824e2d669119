import EventLog

/// The answer to a tick request: where its ticks landed, whether they are durable, and which
/// items were refused. A retried request with the same `Idempotency-Key` gets the same answer.
public struct IngestResult: Hashable, Sendable {
    /// The offset of the first tick appended; nil when none was.
    public var firstOffset: UInt64?
    /// The offset of the last tick appended; nil when none was.
    public var lastOffset: UInt64?
    /// Ticks appended (`lastOffset - firstOffset + 1`, or 0).
    public var accepted: Int
    /// Whether the ticks are durable under the log's durability setting.
    public var isDurable: Bool
    /// The refused items, in request order.
    public var rejected: [TicksIngested.Rejection]
    /// True when this answer repeats an earlier request's (same key): a gateway may say so in
    /// an `Idempotent-Replayed: true` header; the body is the same either way.
    public var isReplay: Bool

    /// An answer as given.
    public init(firstOffset: UInt64?, lastOffset: UInt64?, accepted: Int, isDurable: Bool,
                rejected: [TicksIngested.Rejection], isReplay: Bool) {
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.accepted = accepted
        self.isDurable = isDurable
        self.rejected = rejected
        self.isReplay = isReplay
    }

    /// 200 when anything was accepted (or there was nothing to accept), 422 when every item was refused.
    public var httpStatus: Int { accepted == 0 && !rejected.isEmpty ? 422 : 200 }

    /// `{"first_offset":…,"last_offset":…,"accepted":…,"durable":…,"rejected":[{"index":…,"error":"…"}]}`
    public func writeJSON(to j: inout JSONText) {
        j.beginObject()
        j.key("first_offset"); if let firstOffset { j.value(firstOffset) } else { j.null() }
        j.key("last_offset"); if let lastOffset { j.value(lastOffset) } else { j.null() }
        j.key("accepted"); j.value(accepted)
        j.key("durable"); j.value(isDurable)
        j.key("rejected"); j.beginArray()
        for rejection in rejected {
            j.beginObject()
            j.key("index"); j.value(rejection.index)
            j.key("error"); j.value(rejection.message)
            j.endObject()
        }
        j.endArray()
        j.endObject()
    }

    /// The answer as JSON text.
    public var json: String {
        var j = JSONText()
        writeJSON(to: &j)
        return j.string
    }
}
