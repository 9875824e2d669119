/// HMAC-SHA256 (RFC 2104, with SHA-256 as in RFC 4231).
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key`.
    public static func authenticationCode(for message: some Sequence<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        // RFC 2104 §2: keys longer than the block are hashed first, then zero-padded to B bytes.
        var block = key.count > SHA256.blockCount ? SHA256.hash(key) : Array(key)
        block += [UInt8](repeating: 0, count: SHA256.blockCount - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        let innerDigest = inner.finalize()
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(innerDigest)
        return outer.finalize()
    }

    /// Whether `a` equals `b`, in time that depends only on the lengths: every byte is
    /// compared, so a mismatch's position does not leak through timing.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        let count = min(a.count, b.count)
        var i = 0
        while i < count {
            difference |= a[i] ^ b[i]
            i += 1
        }
        // Different lengths are never equal, even when the count difference folds to 0 in a byte.
        return difference == 0 && a.count == b.count
    }
}
