import EventLog
import Foundation
import Projections
import Testing
@testable import Services

/// Drives a UsersProjection the way ProjectionRunner does: one transaction per batch, then publish.
private final class UsersHarness {
    let projection = UsersProjection()
    let db: Database
    private(set) var nextOffset: UInt64 = 0

    init(path: String) throws {
        db = try Database(path: path)
        try projection.migrate(db)
        try projection.load(from: db)
        try db.execute("CREATE TABLE IF NOT EXISTS harness_checkpoint(next INTEGER NOT NULL)")
        let select = try db.prepare("SELECT next FROM harness_checkpoint")
        if try select.step() { nextOffset = UInt64(select.int64(at: 0)) }
        projection.publish(through: nextOffset)
    }

    func apply(_ entries: [LogEntry]) throws {
        try db.transaction {
            for entry in entries { try projection.apply(entry) }
            try projection.persist(to: db)
            nextOffset = (entries.last?.offset).map { $0 + 1 } ?? nextOffset
            try db.execute("DELETE FROM harness_checkpoint")
            try db.prepare("INSERT INTO harness_checkpoint(next) VALUES (?)").run([.integer(Int64(nextOffset))])
        }
        projection.publish(through: nextOffset)
    }
}

private func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "tape-users-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Builds a log of users and keys through UserCommands, remembering each plaintext.
private struct UsersScript {
    var entries: [LogEntry] = []
    var plaintexts: [UInt64: String] = [:]
    var rng = SplitMix64(seed: 42)
    private var nextUser: UInt64 = 1
    private var nextKey: UInt64 = 1

    mutating func append(_ event: Event) {
        let offset = UInt64(entries.count)
        entries.append(LogEntry(offset: offset, time: Timestamp(rawValue: 1_700_000_000_000_000_000 + Int64(offset) * 1_000),
                                event: event))
    }

    @discardableResult
    mutating func user(_ name: String, admin: Bool = false) -> UInt64 {
        defer { nextUser += 1 }
        append(UserCommands.makeUser(name: name, isAdmin: admin, nextID: nextUser))
        return nextUser
    }

    @discardableResult
    mutating func key(for user: UInt64, label: String = "default") -> (keyID: UInt64, plaintext: String) {
        defer { nextKey += 1 }
        let (plaintext, event) = UserCommands.issueKey(for: user, label: label, nextKeyID: nextKey, rng: &rng)
        append(event)
        plaintexts[nextKey] = plaintext
        return (nextKey, plaintext)
    }

    mutating func revoke(_ keyID: UInt64) { append(UserCommands.revokeKey(keyID)) }

    /// A mixed history: users, several keys each, some revoked, some noise.
    static func mixed(users: Int, seed: UInt64) -> UsersScript {
        var script = UsersScript()
        var choice = SplitMix64(seed: seed)
        var keyIDs: [UInt64] = []
        for u in 0..<users {
            let id = script.user("user\(u)", admin: u == 0)
            for k in 0..<choice.next(in: 1...3) { keyIDs.append(script.key(for: id, label: "key\(k)").keyID) }
            if u % 3 == 2, let victim = keyIDs.randomElement(using: &choice) { script.revoke(victim) }
        }
        return script
    }
}

@Suite struct UsersProjectionTests {
    @Test func issuedKeyAuthenticatesAsItsUser() throws {
        var script = UsersScript()
        let alice = script.user("alice", admin: true)
        let (keyID, plaintext) = script.key(for: alice)
        let harness = try UsersHarness(path: ":memory:")
        try harness.apply(script.entries)
        let principal = try #require(harness.projection.authenticate(plaintext: plaintext))
        #expect(principal == Principal(userID: alice, keyID: keyID, name: "alice", isAdmin: true))
        #expect(plaintext.hasPrefix("tape_1_"))
        #expect(harness.projection.snapshot.asOfOffset == 2)
    }

    @Test func wrongMalformedAndUnknownKeysDoNotAuthenticate() throws {
        var script = UsersScript()
        let alice = script.user("alice")
        let (_, plaintext) = script.key(for: alice)
        let harness = try UsersHarness(path: ":memory:")
        try harness.apply(script.entries)
        let snapshot = harness.projection.snapshot
        // Same key id, one secret character changed.
        var wrong = Array(plaintext)
        wrong[wrong.count - 1] = wrong[wrong.count - 1] == "a" ? "b" : "a"
        #expect(snapshot.authenticate(plaintext: String(wrong)) == nil)
        #expect(snapshot.authenticate(plaintext: "") == nil)
        #expect(snapshot.authenticate(plaintext: "tape_") == nil)
        #expect(snapshot.authenticate(plaintext: plaintext + "x") == nil)
        #expect(snapshot.authenticate(plaintext: plaintext.uppercased()) == nil)
        // A well-formed key whose id was never issued.
        var rng = SplitMix64(seed: 9)
        #expect(snapshot.authenticate(plaintext: APIKey.generate(keyID: 99, using: &rng).plaintext) == nil)
    }

    @Test func revokedKeyNeverAuthenticatesWhileTheOwnersOtherKeysDo() throws {
        var script = UsersScript()
        let alice = script.user("alice")
        let first = script.key(for: alice, label: "laptop")
        let second = script.key(for: alice, label: "ci")
        script.revoke(first.keyID)
        script.revoke(first.keyID) // a second revocation is a no-op
        let harness = try UsersHarness(path: ":memory:")
        try harness.apply(script.entries)
        let snapshot = harness.projection.snapshot
        #expect(snapshot.authenticate(plaintext: first.plaintext) == nil)
        #expect(snapshot.authenticate(plaintext: second.plaintext)?.keyID == second.keyID)
        let keys = snapshot.keys(of: alice)
        #expect(keys.map(\.label) == ["laptop", "ci"])
        #expect(keys.map(\.isRevoked) == [true, false])
        // The first revocation's time stays.
        #expect(keys[0].revokedTime == script.entries[3].time)
    }

    @Test func anotherUsersSecretUnderMyKeyIDDoesNotAuthenticate() throws {
        var script = UsersScript()
        let alice = script.user("alice")
        let bob = script.user("bob")
        let aliceKey = script.key(for: alice)
        let bobKey = script.key(for: bob)
        let harness = try UsersHarness(path: ":memory:")
        try harness.apply(script.entries)
        let snapshot = harness.projection.snapshot
        #expect(snapshot.authenticate(plaintext: aliceKey.plaintext)?.userID == alice)
        #expect(snapshot.authenticate(plaintext: bobKey.plaintext)?.userID == bob)
        // Bob's secret presented with Alice's key id: the hash is per key, so it fails.
        let bobSecret = bobKey.plaintext.split(separator: "_").last!
        #expect(snapshot.authenticate(plaintext: "tape_\(String(aliceKey.keyID, radix: 36))_\(bobSecret)") == nil)
    }

    @Test func duplicateIDsKeepTheFirstEventAndNextIDsAreMaxPlusOne() throws {
        var script = UsersScript()
        script.user("alice")
        script.append(.userCreated(UserCreated(userID: 1, name: "mallory", isAdmin: true)))
        let key = script.key(for: 1)
        script.append(.apiKeyIssued(APIKeyIssued(keyID: key.keyID, userID: 1, salt: [1], hash: [2], label: "dup")))
        script.append(UserCommands.makeUser(name: "carol", isAdmin: false, nextID: 7))
        let harness = try UsersHarness(path: ":memory:")
        try harness.apply(script.entries)
        let snapshot = harness.projection.snapshot
        #expect(snapshot.user(id: 1)?.name == "alice")
        #expect(snapshot.user(id: 1)?.isAdmin == false)
        #expect(snapshot.authenticate(plaintext: key.plaintext)?.name == "alice")
        #expect(snapshot.nextUserID == 8)
        #expect(snapshot.nextKeyID == 2)
        #expect(UsersSnapshot(asOfOffset: 0, users: [:], keys: [:]).nextUserID == 1)
    }

    @Test func keyIssuedToAnUnknownUserIsKeptButDoesNotAuthenticate() throws {
        var script = UsersScript()
        let orphan = script.key(for: 5)
        let harness = try UsersHarness(path: ":memory:")
        try harness.apply(script.entries)
        #expect(harness.projection.snapshot.key(id: orphan.keyID) != nil)
        #expect(harness.projection.authenticate(plaintext: orphan.plaintext) == nil)
        #expect(harness.projection.snapshot.nextKeyID == 2)
    }

    @Test(arguments: [1, 2, 5, 17, 40])
    func resumingFromSQLiteEqualsFoldingFromZero(splitAt split: Int) throws {
        let script = UsersScript.mixed(users: 20, seed: UInt64(split))
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let fromZero = try UsersHarness(path: ":memory:")
        try fromZero.apply(script.entries)

        let cut = min(split, script.entries.count)
        let path = directory + "/projections.sqlite"
        do {
            let first = try UsersHarness(path: path)
            // Several small transactions, like a runner catching up in batches.
            var start = 0
            while start < cut {
                let end = min(cut, start + 3)
                try first.apply(Array(script.entries[start..<end]))
                start = end
            }
        }
        let resumed = try UsersHarness(path: path)
        #expect(resumed.nextOffset == UInt64(cut))
        try resumed.apply(Array(script.entries[cut...]))

        #expect(resumed.projection.contentHash() == fromZero.projection.contentHash())
        let reloaded = UsersProjection()
        try reloaded.load(from: resumed.db)
        #expect(reloaded.contentHash() == fromZero.projection.contentHash())
        for (keyID, plaintext) in script.plaintexts {
            #expect(resumed.projection.authenticate(plaintext: plaintext)?.keyID
                    == fromZero.projection.authenticate(plaintext: plaintext)?.keyID, "key \(keyID)")
        }
    }

    @Test func contentHashDependsOnStateNotBatching() throws {
        let script = UsersScript.mixed(users: 10, seed: 3)
        let whole = try UsersHarness(path: ":memory:")
        try whole.apply(script.entries)
        let oneByOne = try UsersHarness(path: ":memory:")
        for entry in script.entries { try oneByOne.apply([entry]) }
        #expect(whole.projection.contentHash() == oneByOne.projection.contentHash())
        let shorter = try UsersHarness(path: ":memory:")
        try shorter.apply(Array(script.entries.dropLast()))
        #expect(shorter.projection.contentHash() != whole.projection.contentHash())
    }

    @Test func plaintextKeysNeverReachTheDatabaseFile() throws {
        let script = UsersScript.mixed(users: 8, seed: 11)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/projections.sqlite"
        do {
            let harness = try UsersHarness(path: path)
            try harness.apply(script.entries)
        }
        var fileBytes: [UInt8] = []
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: path + suffix) { fileBytes += data }
        }
        #expect(fileBytes.count > 0)
        #expect(!script.plaintexts.isEmpty)
        for plaintext in script.plaintexts.values {
            let secret = Array(plaintext.split(separator: "_").last!.utf8)
            #expect(!contains(fileBytes, Array(plaintext.utf8)))
            #expect(!contains(fileBytes, secret))
        }
        // Sanity: the search does find what is stored.
        #expect(contains(fileBytes, Array("user7".utf8)))
    }

    @Test func runnerOverARealLogResumesAndRebuildsToTheSameState() throws {
        let script = UsersScript.mixed(users: 12, seed: 21)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog(directory: directory + "/log")
        defer { try? log.close() }
        let half = script.entries.count / 2
        _ = try log.append(script.entries[..<half].map(\.record))
        let databasePath = directory + "/projections.sqlite"
        let first = UsersProjection()
        try ProjectionRunner(projection: first, log: try log.makeReader(), databasePath: databasePath, batchSize: 4).catchUp()

        _ = try log.append(script.entries[half...].map(\.record))
        let resumed = UsersProjection()
        let next = try ProjectionRunner(projection: resumed, log: try log.makeReader(), databasePath: databasePath,
                                        batchSize: 4).catchUp()
        #expect(next == UInt64(script.entries.count))

        let rebuilt = UsersProjection()
        try ProjectionRunner(projection: rebuilt, log: try log.makeReader(), databasePath: directory + "/other.sqlite",
                             batchSize: 1_000).catchUp()
        #expect(resumed.contentHash() == rebuilt.contentHash())
        for plaintext in script.plaintexts.values {
            #expect(resumed.authenticate(plaintext: plaintext) == rebuilt.authenticate(plaintext: plaintext))
        }
        #expect(resumed.snapshot.asOfOffset == UInt64(script.entries.count))
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}
