import EventLog

/// A stored API key: its salted hash, never its plaintext.
public struct APIKeyRecord: Hashable, Sendable {
    public var keyID: UInt64
    public var userID: UInt64
    public var salt: [UInt8]
    public var hash: [UInt8]
    public var label: String
    /// The time of the APIKeyIssued event.
    public var issuedTime: Timestamp
    /// The time of the APIKeyRevoked event; nil while the key is valid.
    public var revokedTime: Timestamp?

    public init(keyID: UInt64, userID: UInt64, salt: [UInt8], hash: [UInt8], label: String,
                issuedTime: Timestamp, revokedTime: Timestamp? = nil) {
        self.keyID = keyID
        self.userID = userID
        self.salt = salt
        self.hash = hash
        self.label = label
        self.issuedTime = issuedTime
        self.revokedTime = revokedTime
    }

    /// Revoked keys never authenticate.
    public var isRevoked: Bool { revokedTime != nil }
}
