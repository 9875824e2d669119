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
        if case .tick(let tick) = record.event {
            encodeTick(tick, time: record.time, previousTime: &previousTime, into: &writer)
            return
        }
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

    /// The tick fast path: the same bytes as the general path, built in a stack buffer and
    /// appended once, because ticks are nearly all of what the log writes.
    @inline(__always)
    static func encodeTick(_ t: Tick, time: Timestamp, previousTime: inout Timestamp, into writer: inout ByteWriter) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 96) { buffer in
            var p = PointerWriter(base: buffer.baseAddress!, position: 1)
            p.put(EventType.tick.rawValue)
            p.put(currentVersion)
            let delta = time.rawValue &- previousTime.rawValue
            var unit = 3
            while unit > 0 && delta % unitScale(unit) != 0 { unit -= 1 }
            let scaled = delta / unitScale(unit)
            p.putVarint(UInt64(bitPattern: (scaled << 1) ^ (scaled >> 63)), prefix: UInt8(unit), prefixBits: 2)
            p.putVarint(UInt64(t.token))
            p.putVarint(UInt64(bitPattern: (t.price << 1) ^ (t.price >> 63)))
            let flags = (t.decimals & 0x07)
                | (t.openInterest != nil ? 0x08 : 0) | (t.bid != nil ? 0x10 : 0) | (t.ask != nil ? 0x20 : 0)
            p.putVarint(t.volume, prefix: flags, prefixBits: 6)
            if let oi = t.openInterest { p.putVarint(oi) }
            if let bid = t.bid { p.putVarint(UInt64(bitPattern: (bid << 1) ^ (bid >> 63))) }
            if let ask = t.ask { p.putVarint(UInt64(bitPattern: (ask << 1) ^ (ask >> 63))) }
            buffer[0] = UInt8(p.position - 1)  // at most 3 + 11 + 5 + 10 + 11 + 10 + 10 + 10 < 128
            writer.write(UnsafeBufferPointer(start: buffer.baseAddress, count: p.position))
        }
        previousTime = time
    }

    /// Reads one record starting at the reader's position.
    public static func decode(from reader: inout ByteReader, previousTime: inout Timestamp) throws(ByteReader.Error) -> Record {
        let head = try readHead(from: &reader, previousTime: &previousTime)
        var body = head.payload
        let event = try decodePayload(type: head.type, version: head.version, from: &body, end: body.end)
        return Record(time: head.time, event: event)
    }

    /// Reads one record if its type is in `wanted` (any version); any other record is skipped
    /// without its payload being read, so a scan for rare events costs little more than a walk.
    public static func decode(from reader: inout ByteReader, previousTime: inout Timestamp,
                              ifTypeIn wanted: EventTypeMask) throws(ByteReader.Error) -> Record? {
        let head = try readHead(from: &reader, previousTime: &previousTime)
        guard wanted.contains(code: head.type) else { return nil }
        var body = head.payload
        let event = try decodePayload(type: head.type, version: head.version, from: &body, end: body.end)
        return Record(time: head.time, event: event)
    }

    /// What `decode(from:previousTime:ticksApart:ifTypeIn:)` read.
    public enum Decoded {
        case tick(Timestamp, Tick)
        case record(Record)
        /// A record of a type not asked for, passed over unread.
        case skipped
    }

    /// Reads one record: a v1 tick as a bare `Tick` (no `Event` built), any other record of a
    /// type in `wanted` as a `Record`, the rest skipped without their payload being read.
    @inline(__always)
    public static func decode(from reader: inout ByteReader, previousTime: inout Timestamp,
                              ticksApartFrom wanted: EventTypeMask) throws(ByteReader.Error) -> Decoded {
        let head = try readHead(from: &reader, previousTime: &previousTime)
        var body = head.payload
        if head.type == EventType.tick.rawValue && head.version == currentVersion {
            let tick = try decodeTickPayload(from: &body)
            guard body.isAtEnd else { throw ByteReader.Error(position: body.position, reason: "unexpected bytes after a tick payload") }
            return .tick(head.time, tick)
        }
        guard wanted.contains(code: head.type) else { return .skipped }
        return .record(Record(time: head.time, event: try decodePayload(type: head.type, version: head.version, from: &body, end: body.end)))
    }

    /// Reads one record if it is a v1 tick (nil for any other record, which is skipped).
    /// The replay hot path: no `Event` is built, so nothing is retained or released.
    @inline(__always)
    public static func decodeTick(from reader: inout ByteReader, previousTime: inout Timestamp) throws(ByteReader.Error) -> (Timestamp, Tick)? {
        let head = try readHead(from: &reader, previousTime: &previousTime)
        guard head.type == EventType.tick.rawValue, head.version == currentVersion else { return nil }
        var body = head.payload
        let tick = try decodeTickPayload(from: &body)
        guard body.isAtEnd else { throw ByteReader.Error(position: body.position, reason: "unexpected bytes after a tick payload") }
        return (head.time, tick)
    }

    /// Reads a record's length, type, version and time, moves `reader` past the whole record and
    /// returns a reader over its payload. Every record's time is read, skipped or not: it is the
    /// delta base of the next.
    @inline(__always)
    private static func readHead(from reader: inout ByteReader, previousTime: inout Timestamp)
        throws(ByteReader.Error) -> (payload: ByteReader, type: UInt8, version: UInt8, time: Timestamp) {
        let length = try reader.readVarint()
        guard length >= 3, length <= UInt64(reader.remaining) else {
            throw ByteReader.Error(position: reader.position, reason: "record length \(length) is invalid (\(reader.remaining) bytes left)")
        }
        var body = try reader.split(count: Int(length))
        let type = try body.readByte()
        let version = try body.readByte()
        let time = try readTime(from: &body, previous: previousTime)
        previousTime = time
        return (body, type, version, time)
    }

    @inline(__always)
    static func decodeTickPayload(from r: inout ByteReader) throws(ByteReader.Error) -> Tick {
        let token = try readUInt32(&r)
        let price = try r.readSignedVarint()
        let (volume, flags) = try r.readVarint(prefixBits: 6)
        let oi = flags & 0x08 != 0 ? try r.readVarint() : nil
        let bid = flags & 0x10 != 0 ? try r.readSignedVarint() : nil
        let ask = flags & 0x20 != 0 ? try r.readSignedVarint() : nil
        return Tick(token: token, price: price, decimals: flags & 0x07, volume: volume, openInterest: oi, bid: bid, ask: ask)
    }

    // MARK: time

    @inline(__always) private static func unitScale(_ unit: Int) -> Int64 {
        switch unit {
        case 0: 1
        case 1: 1_000
        case 2: 1_000_000
        default: 1_000_000_000
        }
    }

    @inline(__always) static func writeTimeDelta(_ time: Timestamp, previous: Timestamp, into writer: inout ByteWriter) {
        let delta = time.rawValue &- previous.rawValue
        var unit = 3
        while unit > 0 && delta % unitScale(unit) != 0 { unit -= 1 }
        let scaled = delta / unitScale(unit)
        let zigzag = UInt64(bitPattern: (scaled << 1) ^ (scaled >> 63))
        writer.writeVarint(zigzag, prefix: UInt8(unit), prefixBits: 2)
    }

    @inline(__always) static func readTime(from reader: inout ByteReader, previous: Timestamp) throws(ByteReader.Error) -> Timestamp {
        let (zigzag, unit) = try reader.readVarint(prefixBits: 2)
        let scaled = Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1)))
        let (delta, overflow) = scaled.multipliedReportingOverflow(by: unitScale(Int(unit)))
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
        case .ticksIngested(let t):
            w.writeString(t.key)
            w.writeVarint(UInt64(t.tickCount))
            w.writeLittleEndian(t.bodyHash)
            w.writeVarint(UInt64(t.rejected.count))
            for rejection in t.rejected {
                w.writeVarint(UInt64(rejection.index))
                w.writeString(rejection.message)
            }
        case .unknown(_, _, let payload):
            w.write(payload)
        }
    }

    static func decodePayload(type: UInt8, version: UInt8, from r: inout ByteReader, end: Int) throws(ByteReader.Error) -> Event {
        guard version == currentVersion, EventType.knownCodes.contains(type) else {
            let payload = try r.readRaw(count: end - r.position)
            return .unknown(type: type, version: version, payload: payload)
        }
        let event: Event
        // Switching on the raw code (not the struct's statics) keeps this a jump table.
        switch type {
        case 4:
            event = .tick(try decodeTickPayload(from: &r))
        case 1, 2:
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
        case 3:
            event = .instrumentDelisted(token: try readUInt32(&r))
        case 5:
            let id = try r.readVarint()
            let user: Int64? = try readOptional(&r)
            event = .sessionOpened(SessionOpened(sessionID: id, userID: user.map { UInt64(bitPattern: $0) },
                                                 protocolName: try r.readString()))
        case 6, 7:
            let id = try r.readVarint()
            let count = try r.readVarint()
            guard count <= UInt64(r.remaining) else { throw ByteReader.Error(position: r.position, reason: "token count \(count) too large") }
            var tokens: [UInt32] = []
            tokens.reserveCapacity(Int(count))
            for _ in 0..<count { tokens.append(try readUInt32(&r)) }
            let s = Subscription(sessionID: id, tokens: tokens, mode: try r.readString())
            event = type == EventType.subscribed.rawValue ? .subscribed(s) : .unsubscribed(s)
        case 8:
            event = .sessionClosed(SessionClosed(sessionID: try r.readVarint(), reason: try r.readString()))
        case 9, 10:
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
        case 11:
            event = .alertDeleted(AlertDeleted(alertID: try r.readVarint(), version: try readUInt32(&r)))
        case 12:
            event = .alertTriggered(AlertTriggered(
                alertID: try r.readVarint(), ruleVersion: try readUInt32(&r), tickOffset: try r.readVarint(),
                price: try r.readDouble(), tickTime: Timestamp(rawValue: try r.readSignedVarint())))
        case 13:
            event = .userCreated(UserCreated(userID: try r.readVarint(), name: try r.readString(), isAdmin: try r.readBool()))
        case 14:
            event = .apiKeyIssued(APIKeyIssued(keyID: try r.readVarint(), userID: try r.readVarint(),
                                               salt: try r.readBytes(), hash: try r.readBytes(), label: try r.readString()))
        case 15:
            event = .apiKeyRevoked(APIKeyRevoked(keyID: try r.readVarint()))
        case 16:
            event = .signalPublished(SignalPublished(model: try r.readString(), token: try readUInt32(&r),
                                                     value: try r.readDouble(), label: try readOptional(&r),
                                                     confidence: try readOptional(&r)))
        case 17:
            let key = try r.readString()
            let tickCount = try readUInt32(&r)
            let bodyHash = try r.readLittleEndian(UInt64.self)
            let count = try r.readVarint()
            // Each rejection takes at least two bytes, which bounds the reservation.
            guard count <= UInt64(r.remaining / 2) else { throw ByteReader.Error(position: r.position, reason: "rejection count \(count) too large") }
            var rejected: [TicksIngested.Rejection] = []
            rejected.reserveCapacity(Int(count))
            for _ in 0..<count {
                rejected.append(TicksIngested.Rejection(index: try readUInt32(&r), message: try r.readString()))
            }
            event = .ticksIngested(TicksIngested(key: key, tickCount: tickCount, bodyHash: bodyHash, rejected: rejected))
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

/// Writes varints through a raw pointer into a buffer known to be large enough.
private struct PointerWriter {
    let base: UnsafeMutablePointer<UInt8>
    var position: Int

    @inline(__always) mutating func put(_ byte: UInt8) {
        base[position] = byte
        position += 1
    }

    @inline(__always) mutating func putVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            put(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        put(UInt8(v))
    }

    /// Same layout as `ByteWriter.writeVarint(_:prefix:prefixBits:)`.
    @inline(__always) mutating func putVarint(_ value: UInt64, prefix: UInt8, prefixBits: Int) {
        let payloadBits = 7 - prefixBits
        let low = UInt8(truncatingIfNeeded: value & ((1 << UInt64(payloadBits)) - 1))
        let rest = value >> UInt64(payloadBits)
        let first = prefix | (low << UInt8(prefixBits))
        if rest == 0 {
            put(first)
        } else {
            put(first | 0x80)
            putVarint(rest)
        }
    }
}
