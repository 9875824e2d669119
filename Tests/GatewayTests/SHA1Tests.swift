import Testing
@testable import Gateway

@Suite struct SHA1Tests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// RFC 3174 §7.3 test cases 1, 2 and 4, the empty message and a well-known FIPS example.
    static let vectors: [(String, Int, String)] = [
        ("abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("0123456701234567012345670123456701234567012345670123456701234567", 10, "dea356a2cddd90c7a7ecedc5ebb563934f460452"),
        ("", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("The quick brown fox jumps over the lazy dog", 1, "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
    ]

    @Test(arguments: vectors)
    func digestMatchesTheRFCVector(text: String, repeats: Int, digest: String) {
        let message = Array(String(repeating: text, count: repeats).utf8)
        #expect(Self.hex(SHA1.hash(message)) == digest)
    }

    @Test func millionAsMatchesRFC3174TestCase3() {
        var sha = SHA1()
        let thousand = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { sha.update(thousand) }
        #expect(Self.hex(sha.finalize()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    /// Lengths around the 55/56/64-byte padding boundaries, checked against `sha1sum`.
    static let boundaries: [(Int, String)] = [
        (55, "cef734ba81a024479e09eb5a75b6ddae62e6abf1"),
        (56, "901305367c259952f4e7af8323f480d59f81335b"),
        (63, "0ddc4e0cccd9a12850deb5abb0853a4425559fec"),
        (64, "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163"),
        (65, "78c741ddc482e4cdf8c474a0876347a0905b6233"),
        (119, "4300320394f7ee239bcdce7d3b8bcee173a0cd5c"),
        (120, "ceb2821639c4b6dcb10bce0e522ca2e608ce056d"),
    ]

    @Test(arguments: boundaries)
    func paddingBoundariesAreHandled(length: Int, digest: String) {
        #expect(Self.hex(SHA1.hash([UInt8](repeating: UInt8(ascii: "x"), count: length))) == digest)
    }
}
