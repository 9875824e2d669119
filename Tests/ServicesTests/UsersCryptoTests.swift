import Testing
@testable import Services

/// FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and RFC 4231 §4 test cases.
@Suite struct UsersCryptoTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    @Test(arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func sha256MatchesNISTVectors(message: String, digest: String) {
        #expect(Self.hex(SHA256.hash(message.utf8)) == digest)
    }

    @Test func sha256OfOneMillionAsMatchesNISTVector() {
        var hasher = SHA256()
        // Fed in uneven chunks so block boundaries fall inside updates.
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var remaining = 1_000_000
        while remaining > 0 {
            let n = min(remaining, chunk.count)
            hasher.update(chunk.prefix(n))
            remaining -= n
        }
        #expect(Self.hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha256IsTheSameWhetherFedAtOnceOrByteByByte() {
        let message = Array((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        var hasher = SHA256()
        for byte in message { hasher.update(CollectionOfOne(byte)) }
        #expect(hasher.finalize() == SHA256.hash(message))
    }

    @Test(arguments: [
        // RFC 4231 §4.2 test case 1
        ("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        // §4.3 test case 2
        ("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        // §4.4 test case 3
        (String(repeating: "aa", count: 20), String(repeating: "dd", count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        // §4.5 test case 4
        ("0102030405060708090a0b0c0d0e0f10111213141516171819", String(repeating: "cd", count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    ])
    func hmacMatchesRFC4231(keyHex: String, dataHex: String, mac: String) {
        let code = HMACSHA256.authenticationCode(for: Self.bytes(hex: dataHex), key: Self.bytes(hex: keyHex))
        #expect(Self.hex(code) == mac)
    }

    @Test(arguments: [
        // RFC 4231 §4.7 test case 6: key larger than the block is hashed first.
        ("Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        // §4.8 test case 7: key and data both larger than the block.
        ("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ])
    func hmacWithKeysLongerThanABlockMatchesRFC4231(data: String, mac: String) {
        let key = [UInt8](repeating: 0xaa, count: 131)
        #expect(Self.hex(HMACSHA256.authenticationCode(for: data.utf8, key: key)) == mac)
    }

    @Test func constantTimeEqualsAgreesWithEqualityOnEveryMismatchPosition() {
        let base = [UInt8](0..<32)
        #expect(HMACSHA256.constantTimeEquals(base, base))
        #expect(HMACSHA256.constantTimeEquals([], []))
        for position in base.indices {
            var other = base
            other[position] ^= 0x01
            #expect(!HMACSHA256.constantTimeEquals(base, other))
        }
        #expect(!HMACSHA256.constantTimeEquals(base, Array(base.dropLast())))
        #expect(!HMACSHA256.constantTimeEquals(Array(base.prefix(0)), [0]))
        // Lengths that differ by a multiple of 256 still differ.
        #expect(!HMACSHA256.constantTimeEquals([UInt8](repeating: 0, count: 256), []))
    }
}
