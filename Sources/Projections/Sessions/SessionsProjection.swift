import EventLog
import Synchronization

/// The sessions projection: folds SessionOpened / Subscribed / Unsubscribed / SessionClosed into
/// the open WebSocket sessions and their subscriptions (tables `sessions`, `session_subscriptions`).
///
/// Closed sessions leave the tables; only the highest session id seen is kept, so ids are never
/// reused across restarts. Events for a session that is not open are ignored.
///
/// Threads: the fold state belongs to the thread running its `ProjectionRunner`; `snapshot`
/// may be read from any thread.
public final class SessionsProjection: Projection, @unchecked Sendable {
    public let name = "sessions"
    public let version = 1
    public let tables = ["sessions", "session_subscriptions", "sessions_meta"]

    // Fold state, runner thread only.
    private var open: [UInt64: SessionRecord] = [:]
    private var maxSessionID: UInt64 = 0
    private var closedCount: UInt64 = 0
    private var dirty: Set<UInt64> = []

    private let published = Mutex(SessionsSnapshot(asOfOffset: 0, sessions: [:], maxSessionID: 0, closedCount: 0))

    /// An empty projection; the runner loads it from SQLite before folding.
    public init() {}

    public func migrate(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS sessions(
                session_id INTEGER PRIMARY KEY,
                user_id INTEGER,
                protocol TEXT NOT NULL,
                opened_time INTEGER NOT NULL
            )
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS session_subscriptions(
                session_id INTEGER NOT NULL,
                token INTEGER NOT NULL,
                mode TEXT NOT NULL,
                PRIMARY KEY(session_id, token)
            ) WITHOUT ROWID
            """)
        try db.execute("CREATE TABLE IF NOT EXISTS sessions_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    }

    public func load(from db: Database) throws {
        open = [:]
        dirty = []
        maxSessionID = 0
        closedCount = 0
        let meta = try db.prepare("SELECT key, value FROM sessions_meta")
        while try meta.step() {
            switch meta.string(at: 0) {
            case "max_session_id": maxSessionID = UInt64(bitPattern: meta.int64(at: 1))
            case "closed_count": closedCount = UInt64(bitPattern: meta.int64(at: 1))
            default: break
            }
        }
        let sessions = try db.prepare("SELECT session_id, user_id, protocol, opened_time FROM sessions")
        while try sessions.step() {
            let id = UInt64(bitPattern: sessions.int64(at: 0))
            open[id] = SessionRecord(sessionID: id,
                                     userID: sessions.isNull(at: 1) ? nil : UInt64(bitPattern: sessions.int64(at: 1)),
                                     protocolName: sessions.string(at: 2) ?? "",
                                     openedTime: Timestamp(rawValue: sessions.int64(at: 3)), subscriptions: [:])
        }
        let subscriptions = try db.prepare("SELECT session_id, token, mode FROM session_subscriptions")
        while try subscriptions.step() {
            let id = UInt64(bitPattern: subscriptions.int64(at: 0))
            open[id]?.subscriptions[UInt32(truncatingIfNeeded: subscriptions.int64(at: 1))] = subscriptions.string(at: 2) ?? ""
        }
    }

    public var consumedTypes: EventTypeMask? { EventTypeMask([.sessionOpened, .subscribed, .unsubscribed, .sessionClosed]) }

    public func apply(_ entry: LogEntry) throws {
        switch entry.event {
        case .sessionOpened(let opened):
            maxSessionID = max(maxSessionID, opened.sessionID)
            guard open[opened.sessionID] == nil else { return }
            open[opened.sessionID] = SessionRecord(sessionID: opened.sessionID, userID: opened.userID,
                                                   protocolName: opened.protocolName, openedTime: entry.time, subscriptions: [:])
        case .subscribed(let subscription):
            guard open[subscription.sessionID] != nil else { return }
            for token in subscription.tokens { open[subscription.sessionID]?.subscriptions[token] = subscription.mode }
        case .unsubscribed(let subscription):
            guard open[subscription.sessionID] != nil else { return }
            for token in subscription.tokens { open[subscription.sessionID]?.subscriptions[token] = nil }
        case .sessionClosed(let closed):
            guard open.removeValue(forKey: closed.sessionID) != nil else { return }
            closedCount += 1
        default:
            return
        }
        dirty.insert(entry.event.sessionID ?? 0)
    }

    public func persist(to db: Database) throws {
        guard !dirty.isEmpty else { return }
        let deleteSession = try db.prepare("DELETE FROM sessions WHERE session_id = ?")
        let deleteSubscriptions = try db.prepare("DELETE FROM session_subscriptions WHERE session_id = ?")
        let insertSession = try db.prepare("INSERT INTO sessions(session_id, user_id, protocol, opened_time) VALUES (?, ?, ?, ?)")
        let insertSubscription = try db.prepare("INSERT INTO session_subscriptions(session_id, token, mode) VALUES (?, ?, ?)")
        for id in dirty.sorted() {
            let key = SQLiteValue.integer(Int64(bitPattern: id))
            try deleteSession.run([key])
            try deleteSubscriptions.run([key])
            guard let session = open[id] else { continue }
            try insertSession.run([key, session.userID.map { .integer(Int64(bitPattern: $0)) } ?? .null,
                                   .text(session.protocolName), .integer(session.openedTime.rawValue)])
            for (token, mode) in session.subscriptions.sorted(by: { $0.key < $1.key }) {
                try insertSubscription.run([key, .integer(Int64(token)), .text(mode)])
            }
        }
        let meta = try db.prepare("INSERT OR REPLACE INTO sessions_meta(key, value) VALUES (?, ?)")
        try meta.run([.text("max_session_id"), .integer(Int64(bitPattern: maxSessionID))])
        try meta.run([.text("closed_count"), .integer(Int64(bitPattern: closedCount))])
        dirty = []
    }

    public func publish(through offset: UInt64) {
        let snapshot = SessionsSnapshot(asOfOffset: offset, sessions: open, maxSessionID: maxSessionID, closedCount: closedCount)
        published.withLock { $0 = snapshot }
    }

    public func contentHash() -> String {
        var writer = ByteWriter(capacity: 256)
        writer.writeVarint(maxSessionID)
        writer.writeVarint(closedCount)
        for session in open.values.sorted(by: { $0.sessionID < $1.sessionID }) {
            writer.writeVarint(session.sessionID)
            writer.writeVarint(session.userID.map { $0 + 1 } ?? 0)
            writer.writeString(session.protocolName)
            writer.writeSignedVarint(session.openedTime.rawValue)
            writer.writeVarint(UInt64(session.subscriptions.count))
            for (token, mode) in session.subscriptions.sorted(by: { $0.key < $1.key }) {
                writer.writeVarint(UInt64(token))
                writer.writeString(mode)
            }
        }
        var hash = FNV1a64()
        hash.combine(writer.bytes)
        return hash.hexDigest
    }

    /// The latest published snapshot; any thread.
    public var snapshot: SessionsSnapshot { published.withLock { $0 } }
}

/// One open session as the log tells it.
public struct SessionRecord: Hashable, Sendable {
    public var sessionID: UInt64
    public var userID: UInt64?
    public var protocolName: String
    public var openedTime: Timestamp
    /// Subscribed tokens and their modes.
    public var subscriptions: [UInt32: String]
}

/// The open sessions as of a log offset; immutable.
public struct SessionsSnapshot: Sendable {
    /// The next offset not yet folded.
    public var asOfOffset: UInt64
    public var sessions: [UInt64: SessionRecord]
    /// The highest session id ever opened; new sessions take larger ids.
    public var maxSessionID: UInt64
    public var closedCount: UInt64
}

extension Event {
    /// The session a session event is about.
    var sessionID: UInt64? {
        switch self {
        case .sessionOpened(let e): e.sessionID
        case .subscribed(let e), .unsubscribed(let e): e.sessionID
        case .sessionClosed(let e): e.sessionID
        default: nil
        }
    }
}
