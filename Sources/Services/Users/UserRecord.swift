import EventLog

/// A user as the users projection holds it.
public struct UserRecord: Hashable, Sendable {
    public var userID: UInt64
    public var name: String
    public var isAdmin: Bool
    /// The time of the UserCreated event.
    public var createdTime: Timestamp

    public init(userID: UInt64, name: String, isAdmin: Bool, createdTime: Timestamp) {
        self.userID = userID
        self.name = name
        self.isAdmin = isAdmin
        self.createdTime = createdTime
    }
}
