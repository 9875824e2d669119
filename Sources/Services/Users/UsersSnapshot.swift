/// An immutable view of users and keys as of one log offset; safe to read from any thread.
public struct UsersSnapshot: Sendable {
    /// The next log offset the projection would apply: this view contains everything before it.
    public let asOfOffset: UInt64
    private let users: [UInt64: UserRecord]
    private let keys: [UInt64: APIKeyRecord]
    private let keysOfUser: [UInt64: [UInt64]]

    /// A view over the given records (the projection builds these; tests may too).
    public init(asOfOffset: UInt64, users: [UInt64: UserRecord], keys: [UInt64: APIKeyRecord]) {
        self.asOfOffset = asOfOffset
        self.users = users
        self.keys = keys
        var byUser: [UInt64: [UInt64]] = [:]
        for key in keys.values { byUser[key.userID, default: []].append(key.keyID) }
        keysOfUser = byUser.mapValues { $0.sorted() }
    }

    /// The principal `plaintext` authenticates as, or nil for a malformed, unknown, revoked or wrong key.
    public func authenticate(plaintext: String) -> Principal? {
        guard let parsed = APIKey(parsing: plaintext), let key = keys[parsed.keyID], !key.isRevoked,
              let user = users[key.userID]
        else { return nil }
        guard APIKey.matches(plaintext, salt: key.salt, hash: key.hash) else { return nil }
        return Principal(userID: user.userID, keyID: key.keyID, name: user.name, isAdmin: user.isAdmin)
    }

    /// The user with `id`, or nil.
    public func user(id: UInt64) -> UserRecord? { users[id] }

    /// The key with `id` (revoked or not), or nil.
    public func key(id: UInt64) -> APIKeyRecord? { keys[id] }

    /// Every key issued to `userID`, revoked ones included, by key id.
    public func keys(of userID: UInt64) -> [APIKeyRecord] { (keysOfUser[userID] ?? []).compactMap { keys[$0] } }

    /// All users by id.
    public var allUsers: [UserRecord] { users.values.sorted { $0.userID < $1.userID } }

    /// The id a new user should get: one more than the largest so far (ids start at 1).
    public var nextUserID: UInt64 { (users.keys.max() ?? 0) + 1 }

    /// The id a new key should get: one more than the largest so far (ids start at 1).
    public var nextKeyID: UInt64 { (keys.keys.max() ?? 0) + 1 }
}
