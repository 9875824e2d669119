import EventLog

/// One firing of an alert as the log records it (an AlertTriggered event), numbered per alert.
public struct AlertFiring: Hashable, Sendable {
    public var alertID: UInt64
    /// 1-based position among the alert's firings, in log order.
    public var n: UInt64
    /// The rule version that fired.
    public var ruleVersion: UInt32
    /// The instrument the rule watched at that version.
    public var token: UInt32
    /// The offset of the triggering tick.
    public var tickOffset: UInt64
    /// The offset of the AlertTriggered event itself.
    public var offset: UInt64
    /// The triggering tick's price in currency units.
    public var price: Double
    /// The triggering tick's event time.
    public var time: Timestamp

    public init(alertID: UInt64, n: UInt64, ruleVersion: UInt32, token: UInt32, tickOffset: UInt64, offset: UInt64,
                price: Double, time: Timestamp) {
        self.alertID = alertID
        self.n = n
        self.ruleVersion = ruleVersion
        self.token = token
        self.tickOffset = tickOffset
        self.offset = offset
        self.price = price
        self.time = time
    }
}

extension AlertFiring {
    /// The firing as a JSON object: `n`, `tick_offset`, `offset`, `price`, `time` (Unix seconds), `rule_version`.
    public func writeJSON(to j: inout JSONText) {
        j.beginObject()
        j.key("n"); j.value(n)
        j.key("tick_offset"); j.value(tickOffset)
        j.key("offset"); j.value(offset)
        j.key("price"); j.value(price)
        j.key("time"); j.seconds(time)
        j.key("rule_version"); j.value(ruleVersion)
        j.endObject()
    }
}
