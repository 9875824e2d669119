/// An invariant a target broke on one input; thrown by a campaign's body.
struct FuzzViolation: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
