import EventLog
import Testing

/// Random events of every type, including edge values, from a seeded generator.
struct EventGenerator {
    var rng: SplitMix64

    mutating func string() -> String {
        let pool = ["", "NIFTY26DEC24500CE", "a\"b\\c\n", "ÄÖÜ ₹ 日本", String(repeating: "x", count: 300)]
        return pool[Int(rng.next() % UInt64(pool.count))]
    }
    mutating func int64() -> Int64 {
        switch rng.next() % 4 {
        case 0: .min
        case 1: .max
        case 2: 0
        default: Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64)
        }
    }
    mutating func uint64() -> UInt64 { rng.next() % 3 == 0 ? .max : rng.next() >> (rng.next() % 64) }
    mutating func uint32() -> UInt32 { UInt32(truncatingIfNeeded: uint64()) }
    mutating func double() -> Double { [0, -1.5, 24500.05, 1e300, -0.0][Int(rng.next() % 5)] }
    mutating func bool() -> Bool { rng.next() & 1 == 1 }
    mutating func maybe<T>(_ make: (inout EventGenerator) -> T) -> T? { bool() ? make(&self) : nil }

    mutating func instrument() -> Instrument {
        Instrument(token: uint32(), exchangeToken: uint32(), tradingSymbol: string(), name: string(),
                   expiry: maybe { CalendarDay(rawValue: Int32(truncatingIfNeeded: $0.int64())) },
                   strike: double(), tickSize: double(), lotSize: uint32(),
                   instrumentType: string(), segment: string(), exchange: string())
    }

    mutating func event(_ type: EventType) -> Event {
        switch type {
        case .instrumentListed: return .instrumentListed(instrument())
        case .instrumentUpdated: return .instrumentUpdated(instrument())
        case .instrumentDelisted: return .instrumentDelisted(token: uint32())
        case .tick:
            return .tick(Tick(token: uint32(), price: int64(), decimals: UInt8(rng.next() % 8), volume: uint64(),
                              openInterest: maybe { $0.uint64() }, bid: maybe { $0.int64() }, ask: maybe { $0.int64() }))
        case .sessionOpened: return .sessionOpened(SessionOpened(sessionID: uint64(), userID: maybe { $0.uint64() }, protocolName: string()))
        case .subscribed: return .subscribed(Subscription(sessionID: uint64(), tokens: (0..<rng.next() % 5).map { _ in uint32() }, mode: string()))
        case .unsubscribed: return .unsubscribed(Subscription(sessionID: uint64(), tokens: [uint32()], mode: ""))
        case .sessionClosed: return .sessionClosed(SessionClosed(sessionID: uint64(), reason: string()))
        case .alertCreated, .alertUpdated:
            let rule = AlertRule(token: uint32(), condition: string(), price: maybe { $0.double() }, percent: maybe { $0.double() },
                                 windowSeconds: maybe { $0.uint32() }, frequency: string(), cooldownSeconds: uint32(),
                                 expiresAt: maybe { Timestamp(rawValue: $0.int64()) }, isEnabled: bool())
            let change = AlertChange(alertID: uint64(), userID: uint64(), version: uint32(), rule: rule)
            return type == .alertCreated ? .alertCreated(change) : .alertUpdated(change)
        case .alertDeleted: return .alertDeleted(AlertDeleted(alertID: uint64(), version: uint32()))
        case .alertTriggered:
            return .alertTriggered(AlertTriggered(alertID: uint64(), ruleVersion: uint32(), tickOffset: uint64(),
                                                  price: double(), tickTime: Timestamp(rawValue: int64())))
        case .userCreated: return .userCreated(UserCreated(userID: uint64(), name: string(), isAdmin: bool()))
        case .apiKeyIssued:
            return .apiKeyIssued(APIKeyIssued(keyID: uint64(), userID: uint64(), salt: [1, 2, 3], hash: Array(repeating: 7, count: 32), label: string()))
        case .apiKeyRevoked: return .apiKeyRevoked(APIKeyRevoked(keyID: uint64()))
        case .signalPublished:
            return .signalPublished(SignalPublished(model: string(), token: uint32(), value: double(),
                                                    label: maybe { $0.string() }, confidence: maybe { $0.double() }))
        case .ticksIngested:
            return .ticksIngested(TicksIngested(key: string(), tickCount: uint32(), bodyHash: uint64(),
                                                rejected: (0..<rng.next() % 4).map { _ in .init(index: uint32(), message: string()) }))
        default: return .unknown(type: type.rawValue, version: 1, payload: [1, 2, 3])
        }
    }
}

func encodeFrame(_ records: [Record]) -> [UInt8] {
    var writer = ByteWriter()
    var previous = Timestamp.zero
    for record in records { RecordCodec.encode(record, previousTime: &previous, into: &writer) }
    return writer.bytes
}

func decodeFrame(_ bytes: [UInt8]) throws -> [Record] {
    try bytes.withUnsafeBytes { raw in
        var reader = ByteReader(raw)
        var previous = Timestamp.zero
        var out: [Record] = []
        while !reader.isAtEnd { out.append(try RecordCodec.decode(from: &reader, previousTime: &previous)) }
        return out
    }
}

@Suite struct RecordCodecTests {
    @Test(arguments: EventType.allCases)
    func everyEventTypeRoundTrips(type: EventType) throws {
        var generator = EventGenerator(rng: SplitMix64(seed: UInt64(type.rawValue)))
        var records: [Record] = []
        for _ in 0..<500 {
            records.append(Record(time: Timestamp(rawValue: generator.int64()), event: generator.event(type)))
        }
        #expect(try decodeFrame(encodeFrame(records)) == records)
    }

    @Test func mixedSequencesRoundTripWithTimeDeltasOfEveryUnit() throws {
        var generator = EventGenerator(rng: SplitMix64(seed: 42))
        var time: Int64 = 1_764_300_000_000_000_000
        var records: [Record] = []
        for _ in 0..<5_000 {
            let steps: [Int64] = [0, 1, 999, 1_000, 1_000_000, -1_000_000_000, 7_000_000_000, -3]
            time &+= steps[Int(generator.rng.next() % UInt64(steps.count))]
            let type = EventType.allCases[Int(generator.rng.next() % UInt64(EventType.allCases.count))]
            records.append(Record(time: Timestamp(rawValue: time), event: generator.event(type)))
        }
        #expect(try decodeFrame(encodeFrame(records)) == records)
    }

    @Test func unknownTypesAndVersionsAreKeptVerbatim() throws {
        let records = [Record(time: .zero, event: .unknown(type: 200, version: 3, payload: [9, 8, 7]))]
        #expect(try decodeFrame(encodeFrame(records)) == records)
    }

    @Test func ticksAfterTheFirstTakeAtMostTwelveBytesBeforeCompression() {
        let records = tickRecords(0..<1_000).map { r -> Record in
            var r = r
            if case .tick(var t) = r.event { t.token = 408_065 + UInt32(t.token); t.price = 152_345; t.volume = 120; r.event = .tick(t) }
            return r
        }
        // The first record carries its absolute time (9 more bytes); the rest carry deltas.
        #expect(encodeFrame(records).count - encodeFrame(Array(records.prefix(1))).count <= 12 * 999)
    }

    @Test func anIngestMarkerDumpsItsKeyTickCountAndRejectionsButNotItsHash() {
        let marker = TicksIngested(key: "req-1", tickCount: 2, bodyHash: 0xDEAD_BEEF,
                                   rejected: [.init(index: 1, message: "token 9 is not in the catalog")])
        let entry = LogEntry(offset: 41, time: Timestamp(seconds: 1_764_300_000.5), event: .ticksIngested(marker))
        #expect(entry.jsonLine == #"{"offset":41,"type":"ticks_ingested","time":1764300000.5,"key":"req-1","ticks":2,"#
            + #""rejected":[{"index":1,"error":"token 9 is not in the catalog"}]}"#)
        #expect(marker.tickOffsets(after: 41) == 42...43)
        #expect(TicksIngested(key: "k", tickCount: 0, bodyHash: 0, rejected: []).tickOffsets(after: 41) == nil)
        #expect(EventType(name: "ticks_ingested") == .ticksIngested)
    }

    @Test func garbageNeverCrashesTheDecoder() {
        var rng = SplitMix64(seed: 7)
        let valid = encodeFrame(tickRecords(0..<50))
        for _ in 0..<20_000 {
            var bytes = valid
            switch rng.next() % 3 {
            case 0: bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case 1: bytes.removeLast(Int(rng.next() % UInt64(bytes.count)))
            default: bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            _ = try? decodeFrame(bytes)
        }
    }
}
