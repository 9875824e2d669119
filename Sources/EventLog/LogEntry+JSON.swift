extension LogEntry {
    /// Writes the entry as one JSON object: `offset`, `type`, `time` (Unix seconds), then its fields.
    public func writeJSON(to json: inout JSONText) {
        json.beginObject()
        json.key("offset"); json.value(offset)
        json.key("type"); json.value(event.type.name)
        json.key("time"); json.seconds(time)
        event.writeFields(to: &json)
        json.endObject()
    }

    /// The entry as one line of NDJSON (without the newline).
    public var jsonLine: String {
        var json = JSONText()
        writeJSON(to: &json)
        return json.string
    }
}

extension Event {
    /// Writes the event's own fields (snake_case keys) into an open JSON object.
    public func writeFields(to j: inout JSONText) {
        switch self {
        case .tick(let t):
            j.key("token"); j.value(t.token)
            j.key("price"); j.decimal(t.price, decimals: t.decimals)
            j.key("volume"); j.value(t.volume)
            if let oi = t.openInterest { j.key("oi"); j.value(oi) }
            if let bid = t.bid { j.key("bid"); j.decimal(bid, decimals: t.decimals) }
            if let ask = t.ask { j.key("ask"); j.decimal(ask, decimals: t.decimals) }
        case .instrumentListed(let i), .instrumentUpdated(let i):
            i.writeFields(to: &j)
        case .instrumentDelisted(let token):
            j.key("token"); j.value(token)
        case .sessionOpened(let s):
            j.key("session_id"); j.value(s.sessionID)
            j.key("user_id"); if let u = s.userID { j.value(u) } else { j.null() }
            j.key("protocol"); j.value(s.protocolName)
        case .subscribed(let s), .unsubscribed(let s):
            j.key("session_id"); j.value(s.sessionID)
            j.key("tokens"); j.beginArray(); for t in s.tokens { j.value(t) }; j.endArray()
            if !s.mode.isEmpty { j.key("mode"); j.value(s.mode) }
        case .sessionClosed(let s):
            j.key("session_id"); j.value(s.sessionID)
            j.key("reason"); j.value(s.reason)
        case .alertCreated(let a), .alertUpdated(let a):
            j.key("alert_id"); j.value(a.alertID)
            j.key("user_id"); j.value(a.userID)
            j.key("version"); j.value(a.version)
            let r = a.rule
            j.key("token"); j.value(r.token)
            j.key("condition"); j.value(r.condition)
            if let p = r.price { j.key("price"); j.value(p) }
            if let p = r.percent { j.key("pct"); j.value(p) }
            if let w = r.windowSeconds { j.key("window_s"); j.value(w) }
            j.key("frequency"); j.value(r.frequency)
            j.key("cooldown_s"); j.value(r.cooldownSeconds)
            if let e = r.expiresAt { j.key("expires_at"); j.seconds(e) }
            j.key("enabled"); j.value(r.isEnabled)
        case .alertDeleted(let a):
            j.key("alert_id"); j.value(a.alertID)
            j.key("version"); j.value(a.version)
        case .alertTriggered(let a):
            j.key("alert_id"); j.value(a.alertID)
            j.key("rule_version"); j.value(a.ruleVersion)
            j.key("tick_offset"); j.value(a.tickOffset)
            j.key("price"); j.value(a.price)
            j.key("tick_time"); j.seconds(a.tickTime)
        case .userCreated(let u):
            j.key("user_id"); j.value(u.userID)
            j.key("name"); j.value(u.name)
            j.key("admin"); j.value(u.isAdmin)
        case .apiKeyIssued(let k):
            // The hash and salt stay out of dumps: they are nobody's business outside the users projection.
            j.key("key_id"); j.value(k.keyID)
            j.key("user_id"); j.value(k.userID)
            j.key("label"); j.value(k.label)
        case .apiKeyRevoked(let k):
            j.key("key_id"); j.value(k.keyID)
        case .signalPublished(let s):
            j.key("model"); j.value(s.model)
            j.key("token"); j.value(s.token)
            j.key("value"); j.value(s.value)
            if let l = s.label { j.key("label"); j.value(l) }
            if let c = s.confidence { j.key("confidence"); j.value(c) }
        case .ticksIngested(let t):
            // The body hash stays out: it only matters to the idempotency check.
            j.key("key"); j.value(t.key)
            j.key("ticks"); j.value(t.tickCount)
            j.key("rejected"); j.beginArray()
            for rejection in t.rejected {
                j.beginObject()
                j.key("index"); j.value(rejection.index)
                j.key("error"); j.value(rejection.message)
                j.endObject()
            }
            j.endArray()
        case .unknown(let type, let version, let payload):
            j.key("type_code"); j.value(type)
            j.key("version"); j.value(version)
            j.key("payload_bytes"); j.value(payload.count)
        }
    }
}

extension Instrument {
    /// Writes the Kite instrument-master fields with Kite's key names.
    public func writeFields(to j: inout JSONText) {
        j.key("instrument_token"); j.value(token)
        j.key("exchange_token"); j.value(exchangeToken)
        j.key("tradingsymbol"); j.value(tradingSymbol)
        j.key("name"); j.value(name)
        j.key("expiry"); if let e = expiry { j.value(e.description) } else { j.null() }
        j.key("strike"); j.value(strike)
        j.key("tick_size"); j.value(tickSize)
        j.key("lot_size"); j.value(lotSize)
        j.key("instrument_type"); j.value(instrumentType)
        j.key("segment"); j.value(segment)
        j.key("exchange"); j.value(exchange)
    }
}
