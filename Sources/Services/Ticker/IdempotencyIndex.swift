import EventLog

/// The `Idempotency-Key`s of the last 24 hours and what was answered to each, so that a retried
/// tick request is answered again instead of appended twice — across restarts too.
///
/// The log is the only store: each keyed request appends a `TicksIngested` marker in the same
/// atomic batch as its ticks. The server starts from the keys the `idempotency` projection has
/// checkpointed and scans only the log past its checkpoint for more (`load(_:thenScan:from:now:)`);
/// `init(log:now:)` rebuilds the index from every marker of the log with `LogReader.scan(only:since:)`,
/// which passes over batches older than the retention unread.
/// A key expires `retention` (24 h) after its marker's event time (the arrival time of the
/// first request), measured against the service's clock; an expired key is a new key.
///
/// Concurrency: requests with the same key serialize through `claim`: the first becomes the
/// owner, later ones wait until it completes (and get its answer) or gives up (and the next
/// one becomes the owner). Safe to use from any thread.
public final class IdempotencyIndex: Sendable {
    /// How long a key is remembered: 24 hours from its first request.
    public static let defaultRetention: Duration = .seconds(24 * 3600)

    /// What a key was answered with: its marker and where the marker sits in the log.
    public struct Entry: Hashable, Sendable {
        public var markerOffset: UInt64
        /// The marker's event time: when the first request arrived.
        public var time: Timestamp
        public var marker: TicksIngested

        /// An entry for the marker at `markerOffset`.
        public init(markerOffset: UInt64, time: Timestamp, marker: TicksIngested) {
            self.markerOffset = markerOffset
            self.time = time
            self.marker = marker
        }
    }

    /// What a request with a key should do.
    enum Claim {
        /// Go ahead, then `complete` or `abandon` the key.
        case owner
        /// The key was answered before, for the same body: answer the same.
        case answered(Entry)
        /// The key was answered before, for another body.
        case conflict(Entry)
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Keys in the order they were added, for expiry.
        var order: [(time: Timestamp, key: String)] = []
        var orderStart = 0
        /// Keys whose owner has not completed yet.
        var inFlight: Set<String> = []
    }
    private let state = Monitor(State())
    private let retention: Int64

    /// An empty index (a new log).
    public init(retention: Duration = IdempotencyIndex.defaultRetention) {
        self.retention = retention.nanoseconds
    }

    /// The index of every marker in `log` whose key has not expired at `now`.
    public convenience init(log: LogReader, now: Timestamp, retention: Duration = IdempotencyIndex.defaultRetention) throws {
        self.init(retention: retention)
        try load([], thenScan: log, from: 0, now: now)
    }

    /// Adds `entries` (in log order: the keys a checkpointed fold holds, `IdempotencyProjection.keys(at:)`),
    /// then every marker of `log` from `offset` on (the fold's next offset) whose key has not expired at `now`.
    public func load(_ entries: [Entry], thenScan log: LogReader, from offset: UInt64, now: Timestamp) throws {
        for entry in entries { insert(entry) }
        let since = Timestamp(rawValue: now.rawValue &- retention)
        try log.scan(only: .ticksIngested, since: since, from: offset) { entry in
            if case .ticksIngested(let marker) = entry.event {
                insert(Entry(markerOffset: entry.offset, time: entry.time, marker: marker))
            }
            return true
        }
    }

    /// Keys currently remembered (expired ones may linger until the next insert).
    public var count: Int { state.withLock { $0.entries.count } }

    /// The answer recorded for `key`, if it has not expired at `now`.
    public func entry(for key: String, now: Timestamp) -> Entry? {
        state.withLock { s in s.entries[key].flatMap { isExpired($0, now: now) ? nil : $0 } }
    }

    /// Claims `key` for a request with this body hash, waiting while another request owns it.
    func claim(_ key: String, bodyHash: UInt64, now: Timestamp) -> Claim {
        state.wait(until: { !$0.inFlight.contains(key) }, timeout: nil) { s in
            if let entry = s.entries[key], !isExpired(entry, now: now) {
                return entry.marker.bodyHash == bodyHash ? .answered(entry) : .conflict(entry)
            }
            s.inFlight.insert(key)
            return .owner
        }
    }

    /// Records the owner's answer and wakes the requests waiting for it.
    func complete(_ key: String, with entry: Entry) {
        state.update { s in
            s.inFlight.remove(key)
            Self.insert(entry, into: &s, expiringBefore: entry.time.rawValue &- retention)
        }
    }

    /// Gives the key up (the owner failed before appending): the next waiter becomes the owner.
    func abandon(_ key: String) {
        state.update { _ = $0.inFlight.remove(key) }
    }

    private func insert(_ entry: Entry) {
        state.update { Self.insert(entry, into: &$0, expiringBefore: entry.time.rawValue &- retention) }
    }

    private func isExpired(_ entry: Entry, now: Timestamp) -> Bool {
        entry.time.rawValue < now.rawValue &- retention
    }

    /// Adds an entry and forgets keys older than the cutoff from the front of the insertion order.
    private static func insert(_ entry: Entry, into s: inout State, expiringBefore cutoff: Int64) {
        s.entries[entry.marker.key] = entry
        s.order.append((entry.time, entry.marker.key))
        while s.orderStart < s.order.count, s.order[s.orderStart].time.rawValue < cutoff {
            let (time, key) = s.order[s.orderStart]
            // A key re-used after expiry has a newer entry; keep that one.
            if s.entries[key]?.time == time { s.entries[key] = nil }
            s.orderStart += 1
        }
        if s.orderStart > 1024 && s.orderStart * 2 > s.order.count {
            s.order.removeFirst(s.orderStart)
            s.orderStart = 0
        }
    }
}
