import EventLog
import Foundation
import Projections
import Services
import Testing
import TapeTestSupport

/// `BulkRebuild` (in Projections) over every projection `tape` knows, two of which live
/// in Services: hence here. Real log files, real SQLite, the real `tape` executable.
@Suite(.serialized) struct BulkRebuildTests {
    /// Every projection, fresh.
    static func allProjections() -> [any Projection] {
        ProjectionSet.names.compactMap(ProjectionSet.make)
    }

    /// A log of every event type the projections read (and one they do not), interleaved with
    /// ticks over two days: instruments listed, updated and delisted; sessions; users and keys;
    /// alerts created, updated, triggered and deleted; signals; ticks with and without depth.
    static func makeMixedLog(in directory: String) throws -> UInt64 {
        let log = try EventLog(directory: directory, options: LogOptions(durability: .never))
        defer { try? log.close() }
        let instruments = Array(InstrumentFixture.generate(seed: 1).active.prefix(40))
        var rng = SplitMix64(seed: 42)
        var time = Timestamp(seconds: 1_764_215_100).rawValue
        func at() -> Timestamp { time += Int64(rng.next(in: 1...90_000)) * 1_000_000; return Timestamp(rawValue: time) }
        try log.append(instruments.map { Record(time: Timestamp(seconds: 1_764_200_000), event: .instrumentListed($0)) })
        var records: [Record] = []
        for i in 0..<6_000 {
            let instrument = instruments[rng.index(instruments.count)]
            let tick = Tick(token: instrument.token, price: Int64(rng.next(in: 100...200_000)), volume: UInt64(rng.next(in: 1...500)),
                            openInterest: i % 3 == 0 ? UInt64(i) : nil, bid: i % 4 == 0 ? 90 : nil, ask: i % 4 == 0 ? 110 : nil)
            records.append(Record(time: at(), event: .tick(tick)))
            let n = UInt64(i / 100 + 1)
            let other: Event? = switch i % 100 {
            case 10: .userCreated(UserCreated(userID: n, name: "user\(n)", isAdmin: n == 1))
            case 11: .apiKeyIssued(APIKeyIssued(keyID: n, userID: n, salt: [1, 2, 3], hash: Array(repeating: UInt8(n & 0xff), count: 32), label: "k\(n)"))
            case 20: .sessionOpened(SessionOpened(sessionID: n, userID: n, protocolName: "v2"))
            case 21: .subscribed(Subscription(sessionID: n, tokens: [instrument.token, instruments[0].token], mode: "ltp"))
            case 30: .alertCreated(AlertChange(alertID: n, userID: n, version: 1,
                                               rule: AlertRule(token: instrument.token, condition: "price_above", price: 1_000)))
            case 40: .alertUpdated(AlertChange(alertID: n, userID: n, version: 2,
                                               rule: AlertRule(token: instrument.token, condition: "price_below", price: 500)))
            case 45: .alertTriggered(AlertTriggered(alertID: n, ruleVersion: 2, tickOffset: UInt64(i), price: 499, tickTime: Timestamp(rawValue: time)))
            case 50: .signalPublished(SignalPublished(model: "m\(n % 3)", token: instrument.token, value: Double(i), label: "up", confidence: 0.5))
            case 60: .ticksIngested(TicksIngested(key: "batch-\(i)", tickCount: 1, bodyHash: n, rejected: []))
            case 70 where n % 2 == 0: .unsubscribed(Subscription(sessionID: n, tokens: [instruments[0].token], mode: ""))
            case 80 where n % 3 == 0: .sessionClosed(SessionClosed(sessionID: n, reason: "client"))
            case 85 where n % 4 == 0: .alertDeleted(AlertDeleted(alertID: n, version: 3))
            case 90 where n % 5 == 0: .apiKeyRevoked(APIKeyRevoked(keyID: n))
            case 95 where n == 30: .instrumentDelisted(token: instruments[39].token)
            case 96 where n == 40: .instrumentUpdated({ var changed = instruments[1]; changed.lotSize += 1; return changed }())
            default: nil
            }
            if let other { records.append(Record(time: at(), event: other)) }
            if records.count >= 97 {
                try log.append(records)
                records = []
            }
        }
        try log.append(records)
        return log.acceptedEnd
    }

    /// Each projection rebuilt by its own runner, one after another: what the fast path must equal.
    static func runnerHashes(log: String, database: String) throws -> [String: String] {
        var hashes: [String: String] = [:]
        for projection in allProjections() {
            try ProjectionRunner(projection: projection, log: try LogReader(directory: log), databasePath: database).rebuild()
            hashes[projection.name] = projection.contentHash()
        }
        return hashes
    }

    @Test(arguments: [(1, 1_000_000), (2, 7), (3, 1_000)] as [(Int, UInt64)])
    func rebuildingAllAtOnceGivesEveryProjectionTheHashOfItsOwnRunner(lanes: Int, commitInterval: UInt64) throws {
        let dir = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(dir) }
        let end = try Self.makeMixedLog(in: dir + "/log")
        let expected = try Self.runnerHashes(log: dir + "/log", database: dir + "/runners.sqlite")
        #expect(expected.count == ProjectionSet.names.count)

        let outcomes = try BulkRebuild(projections: Self.allProjections(), logDirectory: dir + "/log",
                                             databasePath: dir + "/fast.sqlite", lanes: lanes, commitInterval: commitInterval).run()
        #expect(Dictionary(uniqueKeysWithValues: outcomes.map { ($0.name, $0.contentHash) }) == expected)
        #expect(outcomes.allSatisfy { $0.nextOffset == end })

        // The rows and checkpoints are in SQLite: fresh runners resume at the end with the same state.
        for projection in Self.allProjections() {
            let runner = ProjectionRunner(projection: projection, log: try LogReader(directory: dir + "/log"), databasePath: dir + "/fast.sqlite")
            #expect(try runner.catchUp() == end)
            #expect(projection.contentHash() == expected[projection.name], "\(projection.name) as loaded from SQLite")
        }
    }

    @Test func progressReachesTheEndAndNeverGoesBack() throws {
        let dir = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(dir) }
        let end = try Self.makeMixedLog(in: dir + "/log")
        let seen = Monitor<[UInt64]>([])
        try BulkRebuild(projections: Self.allProjections(), logDirectory: dir + "/log", databasePath: dir + "/p.sqlite",
                              lanes: 2, commitInterval: 500).run { offset in seen.update { $0.append(offset) } }
        let offsets = seen.withLock { $0 }
        #expect(offsets.last == end)
        #expect(offsets == offsets.sorted())
        #expect(offsets.count > 2)
    }

    @Test func tapeRebuildPrintsTheRunnersHashesAndAgainTheSame() throws {
        let dir = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(dir) }
        let end = try Self.makeMixedLog(in: dir + "/data/log")
        let expected = try Self.runnerHashes(log: dir + "/data/log", database: dir + "/runners.sqlite")
        func rebuild() throws -> [String: String] {
            let run = try AlertFixtures.runTape(["rebuild", "--data", dir + "/data"])
            #expect(run.status == 0, "\(run.errors)")
            var hashes: [String: String] = [:]
            for line in run.output.split(separator: "\n") {
                let words = line.split(separator: " ")
                #expect(line.contains("rebuilt \(end) events"), "\(line)")
                if let name = words.first, let hash = words.last { hashes[String(name)] = String(hash) }
            }
            return hashes
        }
        #expect(try rebuild() == expected)
        #expect(try rebuild() == expected)
        let one = try AlertFixtures.runTape(["rebuild", "--data", dir + "/data", "--projection", "candles"])
        #expect(one.status == 0)
        #expect(one.output.hasSuffix("hash \(expected["candles"]!)\n"), "\(one.output)")
    }

    @Test func anUnknownProjectionIsAClearError() throws {
        let dir = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(dir) }
        _ = try Self.makeMixedLog(in: dir + "/data/log")
        let run = try AlertFixtures.runTape(["rebuild", "--data", dir + "/data", "--projection", "nope"])
        #expect(run.status != 0)
        #expect(run.errors.contains("unknown projection 'nope'"), "\(run.errors)")
    }
}
