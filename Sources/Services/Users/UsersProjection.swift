import EventLog
import Projections
import Synchronization

/// The users projection: folds UserCreated / APIKeyIssued / APIKeyRevoked into the `users`
/// and `api_keys` tables (salt and hash only) and publishes `UsersSnapshot`s for authentication.
///
/// Fold semantics (pinned by tests):
/// - a second UserCreated for an existing id is ignored: the first one names the user;
/// - a second APIKeyIssued for an existing key id is ignored, so a key id always names one hash;
/// - a key issued to an unknown user is kept (its id stays taken) but cannot authenticate;
/// - revoking an unknown or already revoked key is a no-op (the first revocation time stays).
///
/// Threads: the fold state belongs to the thread running its `ProjectionRunner`; `snapshot`
/// and the query methods may be called from any thread and read the latest published snapshot.
public final class UsersProjection: Projection, @unchecked Sendable {
    public let name = "users"
    public let version = 1
    public let tables = ["users", "api_keys"]

    // Fold state, runner thread only.
    private var users: [UInt64: UserRecord] = [:]
    private var keys: [UInt64: APIKeyRecord] = [:]
    private var dirtyUsers: Set<UInt64> = []
    private var dirtyKeys: Set<UInt64> = []

    private let published = Mutex(UsersSnapshot(asOfOffset: 0, users: [:], keys: [:]))

    /// An empty projection; the runner loads it from SQLite before folding.
    public init() {}

    // MARK: Projection

    public func migrate(_ db: Database) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS users(
                user_id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                is_admin INTEGER NOT NULL,
                created_time INTEGER NOT NULL
            )
            """)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS api_keys(
                key_id INTEGER PRIMARY KEY,
                user_id INTEGER NOT NULL,
                salt BLOB NOT NULL,
                hash BLOB NOT NULL,
                label TEXT NOT NULL,
                issued_time INTEGER NOT NULL,
                revoked_time INTEGER
            )
            """)
    }

    public func load(from db: Database) throws {
        users = [:]
        keys = [:]
        dirtyUsers = []
        dirtyKeys = []
        let selectUsers = try db.prepare("SELECT user_id, name, is_admin, created_time FROM users")
        while try selectUsers.step() {
            let id = UInt64(bitPattern: selectUsers.int64(at: 0))
            users[id] = UserRecord(userID: id, name: selectUsers.string(at: 1) ?? "",
                                   isAdmin: selectUsers.int64(at: 2) != 0,
                                   createdTime: Timestamp(rawValue: selectUsers.int64(at: 3)))
        }
        let selectKeys = try db.prepare(
            "SELECT key_id, user_id, salt, hash, label, issued_time, revoked_time FROM api_keys")
        while try selectKeys.step() {
            let id = UInt64(bitPattern: selectKeys.int64(at: 0))
            keys[id] = APIKeyRecord(
                keyID: id, userID: UInt64(bitPattern: selectKeys.int64(at: 1)),
                salt: selectKeys.blob(at: 2) ?? [], hash: selectKeys.blob(at: 3) ?? [],
                label: selectKeys.string(at: 4) ?? "", issuedTime: Timestamp(rawValue: selectKeys.int64(at: 5)),
                revokedTime: selectKeys.isNull(at: 6) ? nil : Timestamp(rawValue: selectKeys.int64(at: 6)))
        }
    }

    public var consumedTypes: EventTypeMask? { EventTypeMask([.userCreated, .apiKeyIssued, .apiKeyRevoked]) }

    public func apply(_ entry: LogEntry) throws {
        switch entry.event {
        case .userCreated(let created):
            guard users[created.userID] == nil else { return }
            users[created.userID] = UserRecord(userID: created.userID, name: created.name,
                                               isAdmin: created.isAdmin, createdTime: entry.time)
            dirtyUsers.insert(created.userID)
        case .apiKeyIssued(let issued):
            guard keys[issued.keyID] == nil else { return }
            keys[issued.keyID] = APIKeyRecord(keyID: issued.keyID, userID: issued.userID, salt: issued.salt,
                                              hash: issued.hash, label: issued.label, issuedTime: entry.time)
            dirtyKeys.insert(issued.keyID)
        case .apiKeyRevoked(let revoked):
            guard var key = keys[revoked.keyID], !key.isRevoked else { return }
            key.revokedTime = entry.time
            keys[revoked.keyID] = key
            dirtyKeys.insert(revoked.keyID)
        default:
            return
        }
    }

    public func persist(to db: Database) throws {
        if !dirtyUsers.isEmpty {
            let upsert = try db.prepare(
                "INSERT OR REPLACE INTO users(user_id, name, is_admin, created_time) VALUES (?, ?, ?, ?)")
            for id in dirtyUsers.sorted() {
                guard let user = users[id] else { continue }
                try upsert.run([.integer(Int64(bitPattern: id)), .text(user.name), .integer(user.isAdmin ? 1 : 0),
                                .integer(user.createdTime.rawValue)])
            }
        }
        if !dirtyKeys.isEmpty {
            let upsert = try db.prepare("""
                INSERT OR REPLACE INTO api_keys(key_id, user_id, salt, hash, label, issued_time, revoked_time)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for id in dirtyKeys.sorted() {
                guard let key = keys[id] else { continue }
                try upsert.run([.integer(Int64(bitPattern: id)), .integer(Int64(bitPattern: key.userID)),
                                .blob(key.salt), .blob(key.hash), .text(key.label), .integer(key.issuedTime.rawValue),
                                key.revokedTime.map { .integer($0.rawValue) } ?? .null])
            }
        }
        dirtyUsers = []
        dirtyKeys = []
    }

    public func publish(through offset: UInt64) {
        let snapshot = UsersSnapshot(asOfOffset: offset, users: users, keys: keys)
        published.withLock { $0 = snapshot }
    }

    public func contentHash() -> String {
        var writer = ByteWriter(capacity: 256)
        for user in users.values.sorted(by: { $0.userID < $1.userID }) {
            writer.write(1)
            writer.writeVarint(user.userID)
            writer.writeString(user.name)
            writer.writeBool(user.isAdmin)
            writer.writeSignedVarint(user.createdTime.rawValue)
        }
        for key in keys.values.sorted(by: { $0.keyID < $1.keyID }) {
            writer.write(2)
            writer.writeVarint(key.keyID)
            writer.writeVarint(key.userID)
            writer.writeVarint(UInt64(key.salt.count))
            writer.write(key.salt)
            writer.writeVarint(UInt64(key.hash.count))
            writer.write(key.hash)
            writer.writeString(key.label)
            writer.writeSignedVarint(key.issuedTime.rawValue)
            if let revoked = key.revokedTime { writer.write(1); writer.writeSignedVarint(revoked.rawValue) } else { writer.write(0) }
        }
        var hash = FNV1a64()
        hash.combine(writer.bytes)
        return hash.hexDigest
    }


    // MARK: queries (any thread)

    /// The latest published snapshot.
    public var snapshot: UsersSnapshot { published.withLock { $0 } }

    /// The principal `plaintext` authenticates as in the latest snapshot, or nil.
    public func authenticate(plaintext: String) -> Principal? { snapshot.authenticate(plaintext: plaintext) }
}
