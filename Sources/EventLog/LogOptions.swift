/// When an append counts as done.
public enum Durability: Equatable, Sendable, CustomStringConvertible {
    /// Group commit: an append returns once an fdatasync covering it has finished; appenders that
    /// arrive while one is in flight share the next.
    case always
    /// Appends return once written; a background fdatasync runs every so many milliseconds.
    case interval(milliseconds: Int)
    /// Appends return once written to the OS; survives a process crash, not a power loss.
    case never

    /// Parses `always`, `never` or `interval:<ms>`.
    public init?(parsing text: String) {
        switch text {
        case "always": self = .always
        case "never": self = .never
        default:
            guard text.hasPrefix("interval:"), let ms = Int(text.dropFirst(9)), ms > 0, ms <= 60_000 else { return nil }
            self = .interval(milliseconds: ms)
        }
    }

    public var description: String {
        switch self {
        case .always: "always"
        case .never: "never"
        case .interval(let ms): "interval:\(ms)"
        }
    }
}

/// Whole sealed segments may be deleted when the log grows past a size or they grow old.
public struct Retention: Equatable, Sendable {
    public var maxBytes: Int64?
    /// Age of a segment's newest event relative to the clock.
    public var maxAge: Duration?
    public init(maxBytes: Int64? = nil, maxAge: Duration? = nil) {
        self.maxBytes = maxBytes
        self.maxAge = maxAge
    }
    public static let off = Retention()
}

/// How a log directory is opened for writing.
public struct LogOptions: Sendable {
    /// A segment is sealed and a new one started once it would grow past this many bytes.
    public var segmentSize: Int64 = 64 << 20
    public var durability: Durability = .always
    public var retention: Retention = .off
    public var indexInterval: Int64 = SegmentIndex.defaultInterval
    /// On damage before the tail of the last segment: refuse to open (false), or cut the log there (true).
    public var truncateAtDamage = false
    /// Where retention reads the time; injected so tests are deterministic.
    public var clock: @Sendable () -> Timestamp = { Timestamp.now() }

    public init(segmentSize: Int64 = 64 << 20, durability: Durability = .always, retention: Retention = .off) {
        self.segmentSize = segmentSize
        self.durability = durability
        self.retention = retention
    }
}

/// What opening a log found and repaired.
public struct RecoveryReport: Equatable, Sendable {
    /// Bytes cut from the end of the last segment (a torn write that was never acknowledged).
    public var truncatedBytes: Int64 = 0
    /// Events in the cut batches whose headers were readable.
    public var droppedEvents: UInt64 = 0
    /// Where the cut bytes were kept, when they may have held acknowledged events (a cut at damage, not a torn tail).
    public var keptBytesPath: String?
    /// Where the cut happened and why.
    public var detail: String?
    /// Index files that were missing or stale and were rebuilt.
    public var rebuiltIndexes: [String] = []

    public var isClean: Bool { truncatedBytes == 0 }
}
