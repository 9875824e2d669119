import EventLog
@testable import Projections

/// A small projection for runner tests: counts events per type, and can be told to throw on one offset.
final class TallyProjection: Projection {
    let name = "tally"
    let version: Int
    let tables = ["tally"]
    var failAt: UInt64?
    /// A planted bug: events of this type are counted twice.
    var countsTwice: String?
    /// Called at each publish, on the runner's thread.
    var onPublish: ((UInt64) -> Void)?
    private(set) var counts: [String: Int64] = [:]
    private var dirty: Set<String> = []
    private(set) var published: UInt64?
    private(set) var appliedCount = 0

    /// The types it reads; nil: every entry.
    let consumedTypes: EventTypeMask?

    init(version: Int = 1, failAt: UInt64? = nil, consumedTypes: EventTypeMask? = nil) {
        self.version = version
        self.failAt = failAt
        self.consumedTypes = consumedTypes
    }

    func migrate(_ db: Database) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS tally(type TEXT PRIMARY KEY, count INTEGER NOT NULL)")
    }

    func load(from db: Database) throws {
        counts = [:]
        dirty = []
        let select = try db.prepare("SELECT type, count FROM tally")
        while try select.step() { counts[select.string(at: 0)!] = select.int64(at: 1) }
    }

    struct Injected: Error, CustomStringConvertible { var description: String { "injected failure" } }

    func apply(_ entry: LogEntry) throws {
        if entry.offset == failAt { throw Injected() }
        counts[entry.event.type.name, default: 0] += entry.event.type.name == countsTwice ? 2 : 1
        dirty.insert(entry.event.type.name)
        appliedCount += 1
    }

    func persist(to db: Database) throws {
        let upsert = try db.prepare("INSERT OR REPLACE INTO tally(type, count) VALUES (?, ?)")
        for key in dirty.sorted() { try upsert.run([.text(key), .integer(counts[key]!)]) }
        dirty = []
    }

    func publish(through offset: UInt64) {
        published = offset
        onPublish?(offset)
    }

    func contentHash() -> String {
        var hash = FNV1a64()
        for (key, count) in counts.sorted(by: { $0.key < $1.key }) {
            hash.combine(Array("\(key)=\(count);".utf8))
        }
        return hash.hexDigest
    }
}
