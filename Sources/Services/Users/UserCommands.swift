import EventLog

/// Pure builders for the users events; the caller appends them to the log and picks ids from
/// the latest `UsersSnapshot` (`nextUserID`, `nextKeyID`).
public enum UserCommands {
    /// The event that creates user `nextID`.
    public static func makeUser(name: String, isAdmin: Bool, nextID: UInt64) -> Event {
        .userCreated(UserCreated(userID: nextID, name: name, isAdmin: isAdmin))
    }

    /// A new key for `userID`: the plaintext to hand over once, and the event that stores only its hash.
    public static func issueKey(for userID: UInt64, label: String, nextKeyID: UInt64,
                                rng: inout some RandomNumberGenerator) -> (plaintext: String, event: Event) {
        let key = APIKey.generate(keyID: nextKeyID, using: &rng)
        let salt = APIKey.makeSalt(using: &rng)
        let plaintext = key.plaintext
        let event = Event.apiKeyIssued(APIKeyIssued(keyID: nextKeyID, userID: userID, salt: salt,
                                                    hash: APIKey.hash(plaintext, salt: salt), label: label))
        return (plaintext, event)
    }

    /// The event that revokes key `keyID`.
    public static func revokeKey(_ keyID: UInt64) -> Event {
        .apiKeyRevoked(APIKeyRevoked(keyID: keyID))
    }
}
