/// The binary form of records inside a batch frame:
///
///     record  = varint(length of the rest) type:u8 version:u8 time payload
///     time    = delta from the previous record's time in the same frame (the first: from 0),
///               zigzag-mapped, in the coarsest exact unit (s, ms, µs, ns) kept in 2 prefix bits
///
/// Ticks, which dominate the log, are all varints: token, zigzag price in minor units,
/// then volume carrying the decimals and which of oi/bid/ask follow in 6 prefix bits.
/// Every other event is a plain sequence of varints, doubles and length-prefixed strings.
public enum RecordCodec {
    /// The codec version written for each event type today.
    public static let currentVersion: UInt8 = 1

    /// Appends one record. `previousTime` carries the delta base between records of one frame.
    public static func encode(_ record: Record, previousTime: inout Timestamp, into writer: inout ByteWriter) {
        // Reserve one length byte; most records are shorter than 128 bytes. Longer ones shift.
        let lengthAt = writer.count
        writer.write(0)
        let bodyStart = writer.count
        if case .unknown(let type, let version, _) = record.event {
            writer.write(type)
            writer.write(version)
        } else {
            writer.write(record.event.type.rawValue)
            writer.write(currentVersion)
        }
        writeTimeDelta(record.time, previous: previousTime, into: &writer)
        previousTime = record.time
        encodePayload(record.event, into: &writer)

        let length = writer.count - bodyStart
        if length < 0x80 {
            writer.bytes[lengthAt] = UInt8(length)
        } else {
            var prefix = ByteWriter(capacity: 4)
            prefix.writeVarint(UInt64(length))
            writer.bytes.replaceSubrange(lengthAt..<bodyStart, with: prefix.bytes)
        }
    }

    /// Reads one record starting at the reader's position.
    public static func decode(from reader: inout ByteReader, previousTime: inout Timestamp) throws(ByteReader.Error) -> Record {
            let length = try reader.readVarint()
            guard length >= 3, length <= UInt64(reader.remaining) else {
                throw ByteReader.Error(position: reader.position, reason: "record length \(length) is invalid (\(reader.remaining) bytes left)")
            }
            var body = try reader.split(count: Int(length))
            let end = body.end
            let type = try body.readByte()
            let version = try body.readByte()
            let time = try readTime(from: &body, previous: previousTime)
            previousTime = time
            let event = try decodePayload(type: type, version: version, from: &body, end: end)
            return Record(time: time, event: event)
    }

    // MARK: time

    private static let unitScales: [Int64] = [1, 1_000, 1_000_000, 1_000_000_000]

    @inline(__always) static func writeTimeDelta(_ time: Timestamp, previous: Timestamp, into writer: inout ByteWriter) {
        let delta = time.rawValue &- previous.rawValue
        var unit = 3
        while unit > 0 && delta % unitScales[unit] != 0 { unit -= 1 }
        let scaled = delta / unitScales[unit]
        let zigzag = UInt64(bitPattern: (scaled << 1) ^ (scaled >> 63))
        writer.writeVarint(zigzag, prefix: UInt8(unit), prefixBits: 2)
    }

    @inline(__always) static func readTime(from reader: inout ByteReader, previous: Timestamp) throws(ByteReader.Error) -> Timestamp {
        let (zigzag, unit) = try reader.readVarint(prefixBits: 2)
        let scaled = Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
        let (delta, overflow) = scaled.multipliedReportingOverflow(by: unitScales[Int(unit)])
        guard !overflow else { throw ByteReader.Error(position: reader.position, reason: "time delta overflows") }
        return Timestamp(rawValue: previous.rawValue &+ delta)
    }

    // MARK: payloads

    static func encodePayload(_ event: Event, into w: inout ByteWriter) {
        switch event {
        case .tick(let t):
            w.writeVarint(UInt64(t.token))
            w.writeSignedVarint(t.price)
            let flags = (t.decimals & 0x07)
                | (t.openInterest != nil ? 0x08 : 0) | (t.bid != nil ? 0x10 : 0) | (t.ask != nil ? 0x20 : 0)
            w.writeVarint(t.volume, prefix: flags, prefixBits: 6)
            if let oi = t.openInterest { w.writeVarint(oi) }
            if let bid = t.bid { w.writeSignedVarint(bid) }
            if let ask = t.ask { w.writeSignedVarint(ask) }
        case .instrumentListed(let i), .instrumentUpdated(let i):
            w.writeVarint(UInt64(i.token))
            w.writeVarint(UInt64(i.exchangeToken))
            w.writeString(i.tradingSymbol)
            w.writeString(i.name)
            writeOptional(i.expiry.map { Int64($0.rawValue) }, into: &w)
            w.writeDouble(i.strike)
            w.writeDouble(i.tickSize)
            w.writeVarint(UInt64(i.lotSize))
            w.writeString(i.instrumentType)
            w.writeString(i.segment)
            w.writeString(i.exchange)
        case .instrumentDelisted(let token):
            w.writeVarint(UInt64(token))
        case .sessionOpened(let s):
            w.writeVarint(s.sessionID)
            writeOptional(s.userID.map { Int64(bitPattern: $0) }, into: &w)
            w.writeString(s.protocolName)
        case .subscribed(let s), .unsubscribed(let s):
            w.writeVarint(s.sessionID)
            w.writeVarint(UInt64(s.tokens.count))
            for token in s.tokens { w.writeVarint(UInt64(token)) }
            w.writeString(s.mode)
        case .sessionClosed(let s):
            w.writeVarint(s.sessionID)
            w.writeString(s.reason)
        case .alertCreated(let a), .alertUpdated(let a):
            w.writeVarint(a.alertID)
            w.writeVarint(a.userID)
            w.writeVarint(UInt64(a.version))
            let r = a.rule
            w.writeVarint(UInt64(r.token))
            w.writeString(r.condition)
            writeOptional(r.price, into: &w)
            writeOptional(r.percent, into: &w)
            writeOptional(r.windowSeconds.map { Int64($0) }, into: &w)
            w.writeString(r.frequency)
            w.writeVarint(UInt64(r.cooldownSeconds))
            writeOptional(r.expiresAt.map(\.rawValue), into: &w)
            w.writeBool(r.isEnabled)
        case .alertDeleted(let a):
            w.writeVarint(a.alertID)
            w.writeVarint(UInt64(a.version))
        case .alertTriggered(let a):
            w.writeVarint(a.alertID)
            w.writeVarint(UInt64(a.ruleVersion))
            w.writeVarint(a.tickOffset)
            w.writeDouble(a.price)
            w.writeSignedVarint(a.tickTime.rawValue)
        case .userCreated(let u):
            w.writeVarint(u.userID)
            w.writeString(u.name)
            w.writeBool(u.isAdmin)
        case .apiKeyIssued(let k):
            w.writeVarint(k.keyID)
            w.writeVarint(k.userID)
            w.writeBytes(k.salt)
            w.writeBytes(k.hash)
            w.writeString(k.label)
        case .apiKeyRevoked(let k):
            w.writeVarint(k.keyID)
        case .signalPublished(let s):
            w.writeString(s.model)
            w.writeVarint(UInt64(s.token))
            w.writeDouble(s.value)
            writeOptional(s.label, into: &w)
            writeOptional(s.confidence, into: &w)
        case .unknown(_, _, let payload):
            w.write(payload)
        }
    }

    static func decodePayload(type: UInt8, version: UInt8, from r: inout ByteReader, end: Int) throws(ByteReader.Error) -> Event {
        guard version == currentVersion, (1...16).contains(type) else {
            let payload = try r.readRaw(count: end - r.position)
            return .unknown(type: type, version: version, payload: payload)
        }
        let event: Event
        switch EventType(rawValue: type) {
        case .tick:
            let token = try readUInt32(&r)
            let price = try r.readSignedVarint()
            let (volume, flags) = try r.readVarint(prefixBits: 6)
            let oi = flags & 0x08 != 0 ? try r.readVarint() : nil
            let bid = flags & 0x10 != 0 ? try r.readSignedVarint() : nil
            let ask = flags & 0x20 != 0 ? try r.readSignedVarint() : nil
            event = .tick(Tick(token: token, price: price, decimals: flags & 0x07, volume: volume,
                               openInterest: oi, bid: bid, ask: ask))
        case .instrumentListed, .instrumentUpdated:
            let token = try readUInt32(&r)
            let exchangeToken = try readUInt32(&r)
            let symbol = try r.readString()
            let name = try r.readString()
            let expiryDays: Int64? = try readOptional(&r)
            guard expiryDays.map({ Int64(Int32.min)...Int64(Int32.max) ~= $0 }) ?? true else {
                throw ByteReader.Error(position: r.position, reason: "expiry out of range")
            }
            let instrument = Instrument(
                token: token, exchangeToken: exchangeToken, tradingSymbol: symbol, name: name,
                expiry: expiryDays.map { CalendarDay(rawValue: Int32($0)) },
                strike: try r.readDouble(), tickSize: try r.readDouble(), lotSize: try readUInt32(&r),
                instrumentType: try r.readString(), segment: try r.readString(), exchange: try r.readString())
            event = type == EventType.instrumentListed.rawValue ? .instrumentListed(instrument) : .instrumentUpdated(instrument)
        case .instrumentDelisted:
            event = .instrumentDelisted(token: try readUInt32(&r))
        case .sessionOpened:
            let id = try r.readVarint()
            let user: Int64? = try readOptional(&r)
            event = .sessionOpened(SessionOpened(sessionID: id, userID: user.map { UInt64(bitPattern: $0) },
                                                 protocolName: try r.readString()))
        case .subscribed, .unsubscribed:
            let id = try r.readVarint()
            let count = try r.readVarint()
            guard count <= UInt64(r.remaining) else { throw ByteReader.Error(position: r.position, reason: "token count \(count) too large") }
            var tokens: [UInt32] = []
            tokens.reserveCapacity(Int(count))
            for _ in 0..<count { tokens.append(try readUInt32(&r)) }
            let s = Subscription(sessionID: id, tokens: tokens, mode: try r.readString())
            event = type == EventType.subscribed.rawValue ? .subscribed(s) : .unsubscribed(s)
        case .sessionClosed:
            event = .sessionClosed(SessionClosed(sessionID: try r.readVarint(), reason: try r.readString()))
        case .alertCreated, .alertUpdated:
            let id = try r.readVarint()
            let user = try r.readVarint()
            let version = try readUInt32(&r)
            let token = try readUInt32(&r)
            let condition = try r.readString()
            let price: Double? = try readOptional(&r)
            let percent: Double? = try readOptional(&r)
            let window: Int64? = try readOptional(&r)
            guard window.map({ 0...Int64(UInt32.max) ~= $0 }) ?? true else {
                throw ByteReader.Error(position: r.position, reason: "window out of range")
            }
            let frequency = try r.readString()
            let cooldown = try readUInt32(&r)
            let expires: Int64? = try readOptional(&r)
            let rule = AlertRule(token: token, condition: condition, price: price, percent: percent,
                                 windowSeconds: window.map { UInt32($0) }, frequency: frequency,
                                 cooldownSeconds: cooldown, expiresAt: expires.map(Timestamp.init(rawValue:)),
                                 isEnabled: try r.readBool())
            let change = AlertChange(alertID: id, userID: user, version: version, rule: rule)
            event = type == EventType.alertCreated.rawValue ? .alertCreated(change) : .alertUpdated(change)
        case .alertDeleted:
            event = .alertDeleted(AlertDeleted(alertID: try r.readVarint(), version: try readUInt32(&r)))
        case .alertTriggered:
            event = .alertTriggered(AlertTriggered(
                alertID: try r.readVarint(), ruleVersion: try readUInt32(&r), tickOffset: try r.readVarint(),
                price: try r.readDouble(), tickTime: Timestamp(rawValue: try r.readSignedVarint())))
        case .userCreated:
            event = .userCreated(UserCreated(userID: try r.readVarint(), name: try r.readString(), isAdmin: try r.readBool()))
        case .apiKeyIssued:
            event = .apiKeyIssued(APIKeyIssued(keyID: try r.readVarint(), userID: try r.readVarint(),
                                               salt: try r.readBytes(), hash: try r.readBytes(), label: try r.readString()))
        case .apiKeyRevoked:
            event = .apiKeyRevoked(APIKeyRevoked(keyID: try r.readVarint()))
        case .signalPublished:
            event = .signalPublished(SignalPublished(model: try r.readString(), token: try readUInt32(&r),
                                                     value: try r.readDouble(), label: try readOptional(&r),
                                                     confidence: try readOptional(&r)))
        default:
            throw ByteReader.Error(position: r.position, reason: "unknown event type \(type)")
        }
        guard r.position == end else {
            throw ByteReader.Error(position: r.position, reason: "\(end - r.position) unexpected bytes after a \(EventType(rawValue: type).name) payload")
        }
        return event
    }

    // MARK: helpers

    private static func readUInt32(_ r: inout ByteReader) throws(ByteReader.Error) -> UInt32 {
        let v = try r.readVarint()
        guard v <= UInt64(UInt32.max) else { throw ByteReader.Error(position: r.position, reason: "value \(v) exceeds 32 bits") }
        return UInt32(v)
    }

    private static func writeOptional(_ value: Int64?, into w: inout ByteWriter) {
        if let value { w.write(1); w.writeSignedVarint(value) } else { w.write(0) }
    }
    private static func writeOptional(_ value: Double?, into w: inout ByteWriter) {
        if let value { w.write(1); w.writeDouble(value) } else { w.write(0) }
    }
    private static func writeOptional(_ value: String?, into w: inout ByteWriter) {
        if let value { w.write(1); w.writeString(value) } else { w.write(0) }
    }
    private static func readOptional(_ r: inout ByteReader) throws(ByteReader.Error) -> Int64? {
        try r.readBool() ? try r.readSignedVarint() : nil
    }
    private static func readOptional(_ r: inout ByteReader) throws(ByteReader.Error) -> Double? {
        try r.readBool() ? try r.readDouble() : nil
    }
    private static func readOptional(_ r: inout ByteReader) throws(ByteReader.Error) -> String? {
        try r.readBool() ? try r.readString() : nil
    }
}
