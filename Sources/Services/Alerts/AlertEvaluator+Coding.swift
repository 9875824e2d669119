import EventLog

/// A compact, canonical binary form of the evaluator's state, for the alert engine's checkpoint.
///
/// Canonical: maps are written in key order and windows without their consumed prefix, so two
/// evaluators that saw the same entries encode to the same bytes however they were batched or
/// resumed (the tests compare states this way).
extension AlertEvaluator {
    /// Bumped whenever the encoding or the evaluation semantics change; a checkpoint of another
    /// format is discarded and the engine replays from offset 0 (deduplicating against the log).
    public static let stateFormat: UInt8 = 1

    /// The state as bytes.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + lastTicks.count * 24 + alertCount * 96)
        w.write(Self.stateFormat)
        w.writeVarint(UInt64(lastTicks.count))
        for token in lastTicks.keys.sorted() {
            w.writeVarint(UInt64(token))
            Self.write(lastTicks[token]!, to: &w)
        }
        w.writeVarint(UInt64(retired.count))
        for id in retired.sorted() { w.writeVarint(id) }
        w.writeVarint(UInt64(alertCount))
        for id in alertIDs {
            let s = state(of: id)!
            // The rule with its id, owner and version, in the log's own encoding.
            var time = Timestamp.zero
            let change = AlertChange(alertID: s.alertID, userID: s.userID, version: s.version, rule: s.rule)
            RecordCodec.encode(Record(time: .zero, event: .alertCreated(change)), previousTime: &time, into: &w)
            w.writeVarint(s.since)
            w.writeBool(s.hasFired)
            Self.writeOptional(s.lastFiring.map(\.rawValue), to: &w)
            w.writeVarint(s.firings)
            let window = s.liveWindow
            w.writeVarint(UInt64(window.count))
            for point in window { Self.write(point, to: &w) }
        }
        return w.bytes
    }

    /// Decodes `encoded()` output; throws on anything else, including another format.
    public init(decoding bytes: [UInt8]) throws {
        let decoded = try bytes.withUnsafeBytes { raw throws -> AlertEvaluator in
            var r = ByteReader(raw)
            let format = try r.readByte()
            guard format == Self.stateFormat else {
                throw AlertStateError(position: 0, reason: "alert evaluator state format \(format), this build reads \(Self.stateFormat)")
            }
            var lastTicks: [UInt32: PricePoint] = [:]
            for _ in try 0..<Self.count(&r) {
                let token = try Self.readUInt32(&r)
                lastTicks[token] = try Self.readPoint(&r)
            }
            var retired: Set<UInt64> = []
            for _ in try 0..<Self.count(&r) { retired.insert(try r.readVarint()) }
            var rules: [RuleState] = []
            for _ in try 0..<Self.count(&r) {
                var time = Timestamp.zero
                let position = r.position
                guard case .alertCreated(let change) = try RecordCodec.decode(from: &r, previousTime: &time).event else {
                    throw AlertStateError(position: position, reason: "a rule is not encoded as an alert change")
                }
                let alertID = change.alertID
                var state = RuleState(alertID: alertID, userID: change.userID, version: change.version, rule: change.rule,
                                      since: try r.readVarint())
                state.hasFired = try r.readBool()
                state.lastFiring = try Self.readOptional(&r).map(Timestamp.init(rawValue:))
                state.firings = try r.readVarint()
                for _ in try 0..<Self.count(&r) { state.window.append(try Self.readPoint(&r)) }
                rules.append(state)
            }
            guard r.isAtEnd else { throw AlertStateError(position: r.position, reason: "trailing bytes after the alert evaluator state") }
            return AlertEvaluator(rules: rules, lastTicks: lastTicks, retired: retired)
        }
        self = decoded
    }

    // MARK: pieces

    private static func write(_ point: PricePoint, to w: inout ByteWriter) {
        w.writeVarint(point.offset)
        w.writeSignedVarint(point.time.rawValue)
        w.writeSignedVarint(point.units)
        w.write(point.decimals)
    }

    private static func readPoint(_ r: inout ByteReader) throws -> PricePoint {
        PricePoint(offset: try r.readVarint(), time: Timestamp(rawValue: try r.readSignedVarint()), units: try r.readSignedVarint(),
                   decimals: try r.readByte())
    }

    private static func writeOptional(_ value: Int64?, to w: inout ByteWriter) {
        w.writeBool(value != nil)
        if let value { w.writeSignedVarint(value) }
    }

    private static func readOptional(_ r: inout ByteReader) throws -> Int64? {
        try r.readBool() ? try r.readSignedVarint() : nil
    }

    private static func readUInt32(_ r: inout ByteReader) throws -> UInt32 {
        let value = try r.readVarint()
        guard value <= UInt64(UInt32.max) else { throw AlertStateError(position: r.position, reason: "value \(value) out of range") }
        return UInt32(value)
    }

    /// A count that cannot exceed the bytes left (each element takes at least one byte).
    private static func count(_ r: inout ByteReader) throws -> Int {
        let value = try r.readVarint()
        guard value <= UInt64(r.remaining) else { throw AlertStateError(position: r.position, reason: "count \(value) exceeds the data") }
        return Int(value)
    }
}

/// Why a checkpointed evaluator state could not be read: where in the bytes, and what was wrong.
public struct AlertStateError: Error, CustomStringConvertible, Sendable {
    public var position: Int
    public var reason: String
    public var description: String { "\(reason) at byte \(position) of the alert evaluator state" }
}
