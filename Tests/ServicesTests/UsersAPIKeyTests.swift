import EventLog
import Testing
@testable import Services

@Suite struct UsersAPIKeyTests {
    @Test func generatedKeyHasPrefixIDAndThirtyTwoBase32Characters() {
        var rng = SplitMix64(seed: 1)
        let key = APIKey.generate(keyID: 12_345, using: &rng)
        #expect(key.plaintext.hasPrefix("tape_9ix_"))
        #expect(key.secret.utf8.count == 32)
        #expect(key.secret.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
    }

    @Test func plaintextRoundTripsThroughParsing() throws {
        var rng = SplitMix64(seed: 2)
        for keyID: UInt64 in [1, 35, 36, 1 << 40, .max] {
            let key = APIKey.generate(keyID: keyID, using: &rng)
            #expect(try #require(APIKey(parsing: key.plaintext)) == key)
        }
    }

    @Test(arguments: ["", "tape_", "tape__abc", "key_1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "tape_1_short",
                      "tape_1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "tape_Z_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                      "tape_1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1"])
    func malformedPlaintextDoesNotParse(text: String) {
        #expect(APIKey(parsing: text) == nil)
    }

    @Test func storedHashMatchesOnlyTheSameKeyUnderTheSameSalt() {
        var rng = SplitMix64(seed: 3)
        let key = APIKey.generate(keyID: 1, using: &rng).plaintext
        let other = APIKey.generate(keyID: 1, using: &rng).plaintext
        let salt = APIKey.makeSalt(using: &rng)
        let otherSalt = APIKey.makeSalt(using: &rng)
        let hash = APIKey.hash(key, salt: salt)
        #expect(salt.count == 16)
        #expect(hash.count == 32)
        #expect(APIKey.matches(key, salt: salt, hash: hash))
        #expect(!APIKey.matches(other, salt: salt, hash: hash))
        #expect(!APIKey.matches(key, salt: otherSalt, hash: hash))
        #expect(APIKey.hash(key, salt: otherSalt) != hash)
    }

    @Test func descriptionRedactsTheSecret() {
        var rng = SplitMix64(seed: 4)
        let key = APIKey.generate(keyID: 7, using: &rng)
        #expect("\(key)" == "tape_7_***")
        #expect(!"\(key)".contains(key.secret))
    }

    @Test func differentSeedsGiveDifferentKeysAndSystemRandomWorks() {
        var a = SplitMix64(seed: 5), b = SplitMix64(seed: 6)
        #expect(APIKey.generate(keyID: 1, using: &a) != APIKey.generate(keyID: 1, using: &b))
        var system = SystemRandomNumberGenerator()
        let key = APIKey.generate(keyID: 1, using: &system)
        #expect(APIKey(parsing: key.plaintext) == key)
    }
}
