import EventLog
import Foundation
import Glibc
import Testing
@testable import EventLog

/// Hostile record bytes through the event codec, and hostile batches (header + LZ4 frame) through the segment reader.
@Suite struct EventCodecFuzzTests {
    static let time = Timestamp(rawValue: 1_764_300_000_123_456_789)

    /// One record of every event type, with edge values where a field has them.
    static let records: [Record] = {
        let instrument = Instrument(token: 408065, exchangeToken: 1594, tradingSymbol: "NIFTY26DEC24500CE", name: "ÄÖÜ ₹ 日本", expiry: CalendarDay(rawValue: 20_818),
                                    strike: 24500, tickSize: 0.05, lotSize: 75, instrumentType: "CE", segment: "NFO-OPT", exchange: "NFO")
        let rule = AlertRule(token: 408065, condition: "price_above", price: 1523.45, percent: nil, windowSeconds: 300, frequency: "once",
                             cooldownSeconds: 60, expiresAt: time, isEnabled: true)
        let events: [Event] = [
            .instrumentListed(instrument), .instrumentUpdated(instrument), .instrumentDelisted(token: .max),
            .tick(Tick(token: 408065, price: 152_345, decimals: 2, volume: 120, openInterest: 5000, bid: 152_340, ask: -1)),
            .tick(Tick(token: 1, price: .min, decimals: 7, volume: .max)),
            .sessionOpened(SessionOpened(sessionID: 7, userID: nil, protocolName: "kite")),
            .subscribed(Subscription(sessionID: 7, tokens: [1, 408065, .max], mode: "full")),
            .unsubscribed(Subscription(sessionID: 7, tokens: [1], mode: "")),
            .sessionClosed(SessionClosed(sessionID: 7, reason: "a\"b\\c\n")),
            .alertCreated(AlertChange(alertID: 3, userID: 2, version: 1, rule: rule)),
            .alertUpdated(AlertChange(alertID: 3, userID: 2, version: 2, rule: rule)),
            .alertDeleted(AlertDeleted(alertID: 3, version: 3)),
            .alertTriggered(AlertTriggered(alertID: 3, ruleVersion: 2, tickOffset: 99, price: 1523.5, tickTime: time)),
            .userCreated(UserCreated(userID: 2, name: "ana", isAdmin: false)),
            .apiKeyIssued(APIKeyIssued(keyID: 5, userID: 2, salt: [1, 2, 3], hash: Array(repeating: 7, count: 32), label: "laptop")),
            .apiKeyRevoked(APIKeyRevoked(keyID: 5)),
            .signalPublished(SignalPublished(model: "lstm", token: 408065, value: -0.5, label: "sell", confidence: 0.9)),
            .ticksIngested(TicksIngested(key: "k1", tickCount: 2, bodyHash: 42, rejected: [.init(index: 1, message: "unknown token")])),
            .unknown(type: 200, version: 9, payload: [1, 2, 3]),
        ]
        return events.enumerated().map { Record(time: Timestamp(rawValue: time.rawValue + Int64($0.offset) * 1_000_017), event: $0.element) }
    }()

    static func encode(_ records: [Record]) -> [UInt8] {
        var writer = ByteWriter()
        var previous = Timestamp.zero
        for record in records { RecordCodec.encode(record, previousTime: &previous, into: &writer) }
        return writer.bytes
    }

    /// Runs of records, as they sit in a batch.
    static let recordSeeds: [[UInt8]] = [encode(records), encode(Array(records.prefix(4))), encode(records.filter { if case .tick = $0.event { true } else { false } })]
        + records.map { encode([$0]) }

    /// Decodes records until the bytes end or one is refused; a decoded record must survive a second round trip unchanged.
    static func decodeRecords(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw), tickReader = ByteReader(raw), typedReader = ByteReader(raw)
            var previous = Timestamp.zero, tickPrevious = Timestamp.zero, typedPrevious = Timestamp.zero
            do {
                while !reader.isAtEnd {
                    let record = try RecordCodec.decode(from: &reader, previousTime: &previous)
                    _ = try RecordCodec.decodeTick(from: &tickReader, previousTime: &tickPrevious)
                    _ = try RecordCodec.decode(from: &typedReader, previousTime: &typedPrevious, ifTypeIn: EventTypeMask([.alertTriggered]))
                    // Bytes, not events, are compared: a decoded NaN price is not equal to itself.
                    let once = encode([Record(time: record.time, event: record.event)])
                    let twice = try once.withUnsafeBytes { again in
                        var r = ByteReader(again)
                        var p = Timestamp.zero
                        return encode([try RecordCodec.decode(from: &r, previousTime: &p)])
                    }
                    guard once == twice else { throw FuzzViolation("a decoded record does not survive re-encoding: \(record)") }
                }
            } catch is ByteReader.Error {
                // A refusal with a position: what a reader turns into a corrupt-log error.
            }
        }
    }

    @Test func mutatedRecordsNeverCrashHangOrDecodeInconsistently() {
        let campaign = FuzzCampaign("event-records", defaultSeed: 0x5245_4344, seeds: Self.recordSeeds, maxLength: 8 * 1024)
        let report = campaign.run { bytes, _ in try Self.decodeRecords(bytes) }
        report.expectClean("event record codec")
    }

    /// Whole batches: the header (a skippable frame) and the LZ4 frame of the records, as `EventLog.append` writes them.
    static let batchSeeds: [[UInt8]] = [Array(records.prefix(3)), records, Array(records.suffix(5))].enumerated().map { index, records in
        let raw = encode(records)
        let encoder = LZ4FrameEncoder()
        let frameLength = raw.withUnsafeBytes { encoder.compress($0) }
        let header = BatchHeader(baseOffset: UInt64(index * 100), count: UInt32(records.count), minTime: records.map(\.time).min()!,
                                 maxTime: records.map(\.time).max()!, frameLength: UInt32(frameLength), rawLength: UInt32(raw.count))
        return header.encoded() + encoder.output[0..<frameLength]
    }

    /// Recomputes the header checksum, so that mutations of the header fields reach the code behind the CRC check.
    static func resealingHeader(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= BatchHeader.size else { return bytes }
        var sealed = bytes
        let crc = sealed.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[8..<48])) }
        for k in 0..<4 { sealed[48 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        return sealed
    }

    /// Reads a batch file the way `tape verify` and recovery do; a batch that passes every check must decode to its announced count.
    static func readBatch(_ file: File) throws {
        let size = try file.size()
        let reader = SegmentReader(file: file, baseOffset: 0)
        _ = try reader.nextValidHeader(after: 0, fileSize: size)
        guard case .batch(let header) = try reader.slot(at: 0, fileSize: size) else { return }
        guard try reader.load(header, at: 0) == nil, reader.check(header) == nil else { return }
        var count: UInt32 = 0
        do {
            _ = try reader.decode(header, at: 0, from: 0) { _ in count += 1; return true }
        } catch let error as LogError {
            throw FuzzViolation("a batch that passed its checks failed to decode: \(error)")
        }
        guard count == header.count else { throw FuzzViolation("a checked batch decoded \(count) records, its header announces \(header.count)") }
    }

    @Test func mutatedBatchesNeverCrashHangOrPassTheirChecksWrongly() throws {
        let directory = makeTemporaryDirectory("tape-fuzz-batches")
        defer { removeDirectory(directory) }
        let file = try File(path: directory + "/00000000000000000000.seg", flags: O_RDWR | O_CREAT)
        let campaign = FuzzCampaign("event-batches", defaultSeed: 0x4241_5443, seeds: Self.batchSeeds, maxLength: 16 * 1024)
        let report = campaign.run { bytes, rng in
            let batch = rng.index(2) == 0 ? Self.resealingHeader(bytes) : bytes
            try file.truncate(to: 0)
            try file.write(batch, at: 0)
            try Self.readBatch(file)
        }
        report.expectClean("segment reader")
    }
}
