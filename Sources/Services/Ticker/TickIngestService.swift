import EventLog
import Projections

/// Accepts tick requests (`POST /ticks`): validates them against the catalog, appends the valid
/// ticks in one batch, waits for durability, and answers — once per `Idempotency-Key`.
///
/// With a key, the batch is `[TicksIngested marker, tick, tick, …]`: one atomic append, so a
/// crash keeps the ticks and the record of having answered together or drops both (then a
/// retry appends them, correctly). A retry with the same key and body gets the first answer
/// without appending; with another body it is refused (`idempotencyKeyReused`). Without a
/// key every request appends. A request that is refused as a whole (bad JSON, too large) is
/// not remembered, so its retry is judged afresh; one whose items were all refused is.
///
/// Threads: `ingest` may be called from any number of threads; it blocks for the append and the
/// durability wait, so a gateway calls it off its event loops.
public final class TickIngestService: Sendable {
    public let log: EventLog
    public let index: IdempotencyIndex
    private let instruments: @Sendable () -> any InstrumentLookup
    private let clock: @Sendable () -> Timestamp
    private let durabilityTimeout: Duration

    /// - Parameters:
    ///   - index: usually `IdempotencyIndex(log: log.makeReader(), now: clock())`, built before serving.
    ///   - instruments: the catalog to validate against, read once per request.
    ///   - durabilityTimeout: the longest `ingest` waits for an fdatasync (durability `interval`).
    public init(log: EventLog, index: IdempotencyIndex, instruments: @escaping @Sendable () -> any InstrumentLookup,
                clock: @escaping @Sendable () -> Timestamp = { Timestamp.now() }, durabilityTimeout: Duration = .seconds(5)) {
        self.log = log
        self.index = index
        self.instruments = instruments
        self.clock = clock
        self.durabilityTimeout = durabilityTimeout
    }

    /// A service validating against `catalog`'s latest snapshot, its index rebuilt from `log`.
    public convenience init(log: EventLog, catalog: InstrumentCatalog,
                            clock: @escaping @Sendable () -> Timestamp = { Timestamp.now() }) throws {
        let index = try IdempotencyIndex(log: log.makeReader(), now: clock())
        self.init(log: log, index: index, instruments: { catalog.snapshot }, clock: clock)
    }

    /// Ingests one request body. Throws only when the request is refused as a whole.
    /// - Parameter durabilityTimeout: the longest to wait for durability (default: the service's);
    ///   the answer says `durable: false` if it passes first.
    public func ingest(body: [UInt8], idempotencyKey: String? = nil,
                       durabilityTimeout: Duration? = nil) throws(TickIngestError) -> IngestResult {
        let now = clock()
        let timeout = durabilityTimeout ?? self.durabilityTimeout
        guard let key = idempotencyKey else {
            let outcome = try TickIngest(instruments: instruments(), receivedAt: now).parse(body)
            guard !outcome.records.isEmpty else {
                return IngestResult(firstOffset: nil, lastOffset: nil, accepted: 0, isDurable: true, rejected: outcome.rejected, isReplay: false)
            }
            let range = try append(outcome.records)
            return IngestResult(firstOffset: range.lowerBound, lastOffset: range.upperBound, accepted: outcome.records.count,
                                isDurable: waitForDurability(of: range.upperBound, timeout: timeout), rejected: outcome.rejected, isReplay: false)
        }
        try Self.check(key)
        var hash = FNV1a64()
        hash.combine(body)
        switch index.claim(key, bodyHash: hash.value, now: now) {
        case .answered(let entry):
            return result(of: entry, isReplay: true, timeout: timeout)
        case .conflict:
            throw .idempotencyKeyReused(key: key)
        case .owner:
            break
        }
        do {
            let outcome = try TickIngest(instruments: instruments(), receivedAt: now).parse(body)
            let marker = TicksIngested(key: key, tickCount: UInt32(outcome.records.count), bodyHash: hash.value, rejected: outcome.rejected)
            let range = try append([Record(time: now, event: .ticksIngested(marker))] + outcome.records)
            let entry = IdempotencyIndex.Entry(markerOffset: range.lowerBound, time: now, marker: marker)
            index.complete(key, with: entry)
            return result(of: entry, isReplay: false, timeout: timeout)
        } catch {
            index.abandon(key)
            throw error
        }
    }

    /// The answer an entry stands for, with durability as of now (waiting for it if need be).
    private func result(of entry: IdempotencyIndex.Entry, isReplay: Bool, timeout: Duration) -> IngestResult {
        let ticks = entry.marker.tickOffsets(after: entry.markerOffset)
        let last = ticks?.upperBound ?? entry.markerOffset
        return IngestResult(firstOffset: ticks?.lowerBound, lastOffset: ticks?.upperBound, accepted: Int(entry.marker.tickCount),
                            isDurable: waitForDurability(of: last, timeout: timeout), rejected: entry.marker.rejected, isReplay: isReplay)
    }

    private func append(_ records: [Record]) throws(TickIngestError) -> ClosedRange<UInt64> {
        do {
            return try log.append(records)
        } catch {
            throw .logUnavailable("\(error)")
        }
    }

    /// Waits (up to the timeout) until `offset` is durable under the log's policy.
    private func waitForDurability(of offset: UInt64, timeout: Duration) -> Bool {
        log.durableEnd > offset || log.waitForDurableEnd(beyond: offset, timeout: timeout) > offset
    }

    /// Keys are 1 to `maxKeyLength` printable ASCII characters (RFC 9110 field values, minus spaces).
    static func check(_ key: String) throws(TickIngestError) {
        let bytes = key.utf8
        guard !bytes.isEmpty else { throw .invalidIdempotencyKey("is empty") }
        guard bytes.count <= TickIngest.maxKeyLength else { throw .invalidIdempotencyKey("has \(bytes.count) characters") }
        guard bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { throw .invalidIdempotencyKey("has a character that is not printable ASCII") }
    }
}
