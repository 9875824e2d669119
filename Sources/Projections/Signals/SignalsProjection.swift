import EventLog
import Synchronization

/// The signals projection: every SignalPublished (an ML model's value for an instrument at a
/// time), kept per token in time order for `GET /signals`, chart marks and replays.
///
/// Threads: the fold state belongs to the thread running its `ProjectionRunner`; queries may be
/// made from any thread and read the published series (updated in place under a lock, only
/// for tokens that changed, so publishing stays cheap however long the history).
public final class SignalsProjection: Projection, @unchecked Sendable {
    public let name = "signals"
    public let version = 1
    public let tables = ["signals"]

    // Fold state, runner thread only: signals not yet persisted and published.
    private var fresh: [Signal] = []

    private struct Published {
        var byToken: [UInt32: [Signal]] = [:]
        var count = 0
        var asOfOffset: UInt64 = 0
    }
    private let published = Mutex(Published())

    public init() {}

    public func migrate(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS signals(
                offset INTEGER PRIMARY KEY,
                time INTEGER NOT NULL,
                token INTEGER NOT NULL,
                model TEXT NOT NULL,
                value REAL NOT NULL,
                label TEXT,
                confidence REAL
            )
            """)
    }

    public func load(from db: Database) throws {
        fresh = []
        var byToken: [UInt32: [Signal]] = [:]
        var count = 0
        let select = try db.prepare("SELECT offset, time, token, model, value, label, confidence FROM signals ORDER BY offset")
        while try select.step() {
            let signal = Signal(offset: UInt64(bitPattern: select.int64(at: 0)), time: Timestamp(rawValue: select.int64(at: 1)),
                                token: UInt32(truncatingIfNeeded: select.int64(at: 2)), model: select.string(at: 3) ?? "",
                                value: select.double(at: 4), label: select.string(at: 5),
                                confidence: select.isNull(at: 6) ? nil : select.double(at: 6))
            Self.insert(signal, into: &byToken[signal.token, default: []])
            count += 1
        }
        published.withLock { $0 = Published(byToken: byToken, count: count, asOfOffset: $0.asOfOffset) }
    }

    public var consumedTypes: EventTypeMask? { EventTypeMask([.signalPublished]) }

    public func apply(_ entry: LogEntry) throws {
        guard case .signalPublished(let s) = entry.event else { return }
        fresh.append(Signal(offset: entry.offset, time: entry.time, token: s.token, model: s.model, value: s.value,
                            label: s.label, confidence: s.confidence))
    }

    public func persist(to db: Database) throws {
        guard !fresh.isEmpty else { return }
        let insert = try db.prepare("""
            INSERT OR REPLACE INTO signals(offset, time, token, model, value, label, confidence) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for s in fresh {
            try insert.run([.integer(Int64(bitPattern: s.offset)), .integer(s.time.rawValue), .integer(Int64(s.token)),
                            .text(s.model), .real(s.value), s.label.map { .text($0) } ?? .null,
                            s.confidence.map { .real($0) } ?? .null])
        }
    }

    public func publish(through offset: UInt64) {
        let batch = fresh
        fresh = []
        published.withLock { p in
            for signal in batch { Self.insert(signal, into: &p.byToken[signal.token, default: []]) }
            p.count += batch.count
            p.asOfOffset = offset
        }
    }

    public func contentHash() -> String {
        var writer = ByteWriter(capacity: 256)
        published.withLock { p in
            for token in p.byToken.keys.sorted() {
                for s in p.byToken[token]! {
                    writer.writeVarint(s.offset)
                    writer.writeSignedVarint(s.time.rawValue)
                    writer.writeVarint(UInt64(s.token))
                    writer.writeString(s.model)
                    writer.writeVarint(s.value.bitPattern)
                    writer.writeBool(s.label != nil)
                    if let label = s.label { writer.writeString(label) }
                    writer.writeVarint(s.confidence.map { $0.bitPattern } ?? UInt64.max)
                }
            }
        }
        var hash = FNV1a64()
        hash.combine(writer.bytes)
        return hash.hexDigest
    }

    /// Keeps a token's series in (time, offset) order; signals usually arrive in order, so this is an append.
    private static func insert(_ signal: Signal, into series: inout [Signal]) {
        var index = series.count
        while index > 0, (series[index - 1].time, series[index - 1].offset) > (signal.time, signal.offset) { index -= 1 }
        series.insert(signal, at: index)
    }

    // MARK: queries (any thread)

    /// Signals of `token` with times in `[from, to)`, optionally of one model, oldest first; the last `limit`.
    public func signals(token: UInt32, model: String? = nil, from: Timestamp? = nil, to: Timestamp? = nil, limit: Int) -> [Signal] {
        published.withLock { p in
            guard let series = p.byToken[token], limit > 0 else { return [] }
            var lower = 0, upper = series.count
            if let from { lower = Self.firstIndex(in: series, atOrAfter: from) }
            if let to { upper = Self.firstIndex(in: series, atOrAfter: to) }
            guard lower < upper else { return [] }
            var matches: [Signal] = []
            var i = upper
            while i > lower, matches.count < limit {
                i -= 1
                if model == nil || series[i].model == model { matches.append(series[i]) }
            }
            return matches.reversed()
        }
    }

    /// Signals published so far, and the next offset not folded.
    public var totals: (count: Int, asOfOffset: UInt64) { published.withLock { ($0.count, $0.asOfOffset) } }

    private static func firstIndex(in series: [Signal], atOrAfter time: Timestamp) -> Int {
        series.partitioningIndex { $0.time.rawValue >= time.rawValue }
    }
}

/// One published signal as stored: where and when it was logged, and what the model said.
public struct Signal: Hashable, Sendable {
    public var offset: UInt64
    public var time: Timestamp
    public var token: UInt32
    public var model: String
    public var value: Double
    public var label: String?
    public var confidence: Double?
}
