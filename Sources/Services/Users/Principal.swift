/// Who a request acts for: the user an API key belongs to.
public struct Principal: Hashable, Sendable {
    public var userID: UInt64
    public var keyID: UInt64
    public var name: String
    public var isAdmin: Bool

    public init(userID: UInt64, keyID: UInt64, name: String, isAdmin: Bool) {
        self.userID = userID
        self.keyID = keyID
        self.name = name
        self.isAdmin = isAdmin
    }
}
