/// Answers already rendered from one catalog snapshot, keyed by the normalized request; lock-guarded, usable from
/// any thread (the lock is held only to look up or store, never while rendering).
///
/// An answer that is a function of the snapshot and the request never goes stale: it is only found again while the
/// catalog still publishes the snapshot it was rendered from. The first answer stored for a newer snapshot drops
/// every older one, and the oldest entries go first when the count or byte budget is reached, so memory stays bounded
/// whatever clients ask.
final class SnapshotAnswerCache<Key: Hashable & Sendable, Answer: Sendable>: Sendable {
    private struct State {
        /// The `as_of_offset` of the snapshot every entry was rendered from.
        var asOfOffset: UInt64 = 0
        var entries: [Key: (answer: Answer, byteCount: Int)] = [:]
        /// Keys oldest first, for eviction.
        var order: [Key] = []
        var byteCount = 0
    }

    private let state = Locked(State())
    private let maxEntries: Int
    private let maxBytes: Int

    /// Makes an empty cache holding at most `maxEntries` answers of `maxBytes` in all.
    init(maxEntries: Int, maxBytes: Int) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// The answer stored for `key` from the snapshot at `asOfOffset`, if there is one.
    func answer(for key: Key, asOf asOfOffset: UInt64) -> Answer? {
        state.withLock { state in
            state.asOfOffset == asOfOffset ? state.entries[key]?.answer : nil
        }
    }

    /// Keeps an answer rendered from the snapshot at `asOfOffset`; one from an older snapshot than the entries is
    /// dropped, one larger than the whole budget is not kept.
    func store(_ answer: Answer, byteCount: Int, for key: Key, asOf asOfOffset: UInt64) {
        guard byteCount <= maxBytes else { return }
        state.withLock { state in
            if asOfOffset > state.asOfOffset || state.entries.isEmpty {
                state = State(asOfOffset: asOfOffset)
            }
            guard asOfOffset == state.asOfOffset, state.entries[key] == nil else { return }
            while !state.order.isEmpty, state.order.count >= maxEntries || state.byteCount + byteCount > maxBytes {
                let oldest = state.order.removeFirst()
                state.byteCount -= state.entries.removeValue(forKey: oldest)?.byteCount ?? 0
            }
            state.entries[key] = (answer, byteCount)
            state.order.append(key)
            state.byteCount += byteCount
        }
    }

    /// How many answers are kept (for tests).
    var count: Int { state.withLock { $0.entries.count } }
}
