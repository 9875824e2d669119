import EventLog

/// A read model that is a pure fold of the log, with durable rows in SQLite.
///
/// The runner that drives a projection calls every method from its one thread; a
/// projection that serves readers on other threads publishes immutable snapshots from
/// `publish(through:)` and reads nothing else from them.
public protocol Projection: AnyObject {
    /// Stable name, the key of its checkpoint row (`instruments`).
    var name: String { get }
    /// Bumped whenever `apply` or the table layout changes meaning; a change rebuilds from offset 0.
    var version: Int { get }
    /// The tables this projection owns, dropped before a rebuild.
    var tables: [String] { get }

    /// The event types `apply` reads; nil (the default) for all. A full rebuild skips records of
    /// other types without decoding them, so this must name every type `apply` acts on.
    var consumedTypes: EventTypeMask? { get }

    /// Creates the projection's tables if they do not exist.
    func migrate(_ db: Database) throws
    /// Replaces the in-memory state with what the tables hold (empty tables: empty state).
    func load(from db: Database) throws
    /// Folds one entry into the in-memory state and records which rows it dirtied.
    /// Pure: reads no clock, no randomness, no I/O; time comes from the entry.
    func apply(_ entry: LogEntry) throws
    /// Writes the dirty rows; runs inside the runner's transaction, which also writes the checkpoint.
    func persist(to db: Database) throws
    /// Called after the transaction holding `offset` committed (or after `load`): `offset`
    /// is the next offset to apply. Publish the state readers should see now.
    func publish(through offset: UInt64)
    /// A deterministic digest of the whole state over a canonical serialization: equal
    /// states give equal hashes whatever order or batching built them.
    func contentHash() -> String
}

extension Projection {
    public var consumedTypes: EventTypeMask? { nil }
}

/// 64-bit FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/ — "FNV-1a"), for content hashes.
public struct FNV1a64: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
    }

    /// Sixteen lowercase hex digits.
    public var hexDigest: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
