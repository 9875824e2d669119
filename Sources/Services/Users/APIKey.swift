/// A plaintext API key, `tape_<keyID base36>_<secret>`, and its salted hash.
///
/// The key id travels in the plaintext so authentication looks up one stored hash instead of
/// trying every key; the 160-bit secret (32 base32 characters) is what makes the key unguessable.
/// Only `salt` and `HMAC-SHA256(key: salt, message: plaintext)` are ever stored.
public struct APIKey: Hashable, Sendable, CustomStringConvertible {
    /// Every key starts with this, so leaked keys are easy to recognise in logs and scanners.
    public static let prefix = "tape_"
    /// Random bytes in the secret (160 bits → 32 base32 characters).
    public static let secretByteCount = 20
    /// Random bytes in each stored salt.
    public static let saltByteCount = 16
    // RFC 4648 §6 alphabet, lowercased: unambiguous to read back and URL/header safe.
    private static let base32Alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// Names the stored hash this key is checked against.
    public let keyID: UInt64
    /// The random part, 32 base32 characters.
    public let secret: String

    /// The full key as handed to its owner, once.
    public var plaintext: String { Self.prefix + String(keyID, radix: 36) + "_" + secret }

    /// Redacted: a key must never reach a log through string interpolation.
    public var description: String { Self.prefix + String(keyID, radix: 36) + "_***" }

    /// A new key with a random secret; production passes a `SystemRandomNumberGenerator`.
    public static func generate(keyID: UInt64, using generator: inout some RandomNumberGenerator) -> APIKey {
        APIKey(keyID: keyID, secret: base32(randomBytes(secretByteCount, using: &generator)))
    }

    /// Splits `plaintext` into key id and secret; nil when it is not shaped like a Tape key.
    public init?(parsing plaintext: String) {
        guard plaintext.hasPrefix(Self.prefix) else { return nil }
        let rest = plaintext.utf8.dropFirst(Self.prefix.utf8.count)
        guard let separator = rest.firstIndex(of: UInt8(ascii: "_")),
              let idText = String(rest[rest.startIndex..<separator]),
              !idText.isEmpty, idText == idText.lowercased(), let keyID = UInt64(idText, radix: 36),
              let secret = String(rest[rest.index(after: separator)...]),
              secret.utf8.count == 32, secret.utf8.allSatisfy({ Self.base32Alphabet.contains($0) })
        else { return nil }
        self.init(keyID: keyID, secret: secret)
    }

    private init(keyID: UInt64, secret: String) {
        self.keyID = keyID
        self.secret = secret
    }

    /// A fresh random salt for storing one key.
    public static func makeSalt(using generator: inout some RandomNumberGenerator) -> [UInt8] {
        randomBytes(saltByteCount, using: &generator)
    }

    /// The stored form of `plaintext` under `salt`.
    public static func hash(_ plaintext: String, salt: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticationCode(for: plaintext.utf8, key: salt)
    }

    /// Whether `plaintext` hashes to `hash` under `salt`, compared in constant time.
    public static func matches(_ plaintext: String, salt: [UInt8], hash expected: [UInt8]) -> Bool {
        HMACSHA256.constantTimeEquals(hash(plaintext, salt: salt), expected)
    }

    private static func randomBytes(_ count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            var word = generator.next()
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return Array(bytes.prefix(count))
    }

    /// RFC 4648 §6 without padding (callers pass multiples of 5 bytes).
    private static func base32(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer: UInt64 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt64(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(base32Alphabet[Int((buffer >> UInt64(bits)) & 31)])
            }
        }
        if bits > 0 { out.append(base32Alphabet[Int((buffer << UInt64(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
