/// The tokens a client asked to subscribe, split by whether the catalog has them: both
/// protocols subscribe the known ones and name the others in an error.
struct RequestedTokens {
    private(set) var known: [UInt32] = []
    private(set) var unknown: [UInt32] = []

    init(_ tokens: [UInt32], isKnown: (UInt32) -> Bool) {
        for token in tokens {
            if isKnown(token) { known.append(token) } else { unknown.append(token) }
        }
    }

    /// "not in the catalog: …" naming the first 20 unknown tokens; nil when every token is known.
    var unknownMessage: String? {
        unknown.isEmpty ? nil : "not in the catalog: " + unknown.prefix(20).map(String.init).joined(separator: ", ")
    }
}
