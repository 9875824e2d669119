/// The narrow read side of a log: everything projections, tailers and replays need.
///
/// The local segmented log implements it; a replicated backend (a JetStream mirror) can sit
/// behind the same three calls. Implementations are safe to call from any thread.
public protocol LogSource: Sendable {
    /// One past the last readable offset: entries `0..<end` can be read now.
    func endOffset() throws -> UInt64

    /// Up to `limit` entries in log order starting at `offset`; fewer (or none) at the end.
    /// Throws on corruption, naming where it is; never skips an entry.
    func read(from offset: UInt64, limit: Int) throws -> [LogEntry]

    /// Blocks until the end moves past `offset` or `timeout` passes, then returns the end.
    /// Wakes on appends without polling where the backend allows it.
    func waitForEnd(beyond offset: UInt64, timeout: Duration) throws -> UInt64

    /// The entries whose type is in `types` among the next `limit` offsets from `offset` (fewer at
    /// the end), and the offset after the last one looked at: entries of other types in between
    /// were passed over, so a consumer's checkpoint may move past them.
    func read(from offset: UInt64, limit: Int, only types: EventTypeMask) throws -> (entries: [LogEntry], next: UInt64)
}

extension LogSource {
    /// Reads every entry and keeps those of `types`: right for any backend, if not the fastest.
    public func read(from offset: UInt64, limit: Int, only types: EventTypeMask) throws -> (entries: [LogEntry], next: UInt64) {
        let all = try read(from: offset, limit: limit)
        return (all.filter { types.contains($0.event.type) }, all.last.map { $0.offset + 1 } ?? offset)
    }
}
