import EventLog
import Foundation
import Testing
@testable import Projections

@Suite struct ProjectionRunnerTests {
    let directory = TemporaryDirectory()
    var databasePath: String { directory.file("projections.sqlite") }

    static func randomLog(count: Int, seed: UInt64) -> MemoryLog {
        var random = SplitMix64(seed: seed)
        let log = MemoryLog()
        for i in 0..<count {
            let event: Event = switch random.next() % 3 {
            case 0: .tick(Tick(token: 1, price: 100, volume: 1))
            case 1: .instrumentDelisted(token: UInt32(i))
            default: .apiKeyRevoked(APIKeyRevoked(keyID: 1))
            }
            log.append(event, at: Int64(i))
        }
        return log
    }

    @Test func resumingFromACheckpointEqualsRebuildingFromZero() throws {
        let log = Self.randomLog(count: 500, seed: 1)
        // First run stops part way: only the first 230 entries exist yet.
        let partial = MemoryLog()
        partial.append(try log.read(from: 0, limit: 230).map(\.record))
        let first = TallyProjection()
        try ProjectionRunner(projection: first, log: partial, databasePath: databasePath, batchSize: 64).catchUp()

        partial.append(try log.read(from: 230, limit: 1000).map(\.record))
        let resumed = TallyProjection()
        let runner = ProjectionRunner(projection: resumed, log: partial, databasePath: databasePath, batchSize: 64)
        #expect(try runner.catchUp() == 500)
        #expect(resumed.appliedCount == 270) // it resumed, it did not replay

        let rebuilt = TallyProjection()
        try ProjectionRunner(projection: rebuilt, log: log, databasePath: directory.file("other.sqlite"), batchSize: 7).catchUp()
        #expect(resumed.contentHash() == rebuilt.contentHash())
        #expect(resumed.counts == rebuilt.counts)
    }

    @Test func aVersionBumpRebuildsFromZero() throws {
        let log = Self.randomLog(count: 100, seed: 2)
        let v1 = TallyProjection(version: 1)
        try ProjectionRunner(projection: v1, log: log, databasePath: databasePath).catchUp()

        let v2 = TallyProjection(version: 2)
        let runner = ProjectionRunner(projection: v2, log: log, databasePath: databasePath)
        try runner.catchUp()
        #expect(v2.appliedCount == 100)
        #expect(v2.contentHash() == v1.contentHash())
        #expect(runner.health.version == 2)

        let db = try Database(path: databasePath)
        let select = try db.prepare("SELECT version, offset FROM checkpoints WHERE name = 'tally'")
        #expect(try select.step())
        #expect(select.int64(at: 0) == 2)
        #expect(select.int64(at: 1) == 100)
    }

    @Test func aFailingApplyStopsWithTheOffsetAndEventAndIsNeverLive() throws {
        let log = Self.randomLog(count: 100, seed: 3)
        let projection = TallyProjection(failAt: 57)
        let runner = ProjectionRunner(projection: projection, log: log, databasePath: databasePath, batchSize: 10)
        let failure = #expect(throws: ProjectionFailure.self) { try runner.catchUp() }
        let failedEvent = try log.read(from: 57, limit: 1)[0].event.type.name
        #expect(failure?.offset == 57)
        #expect(failure?.eventType == failedEvent)
        #expect(failure?.message == "injected failure")
        #expect(runner.health.state == .failed(failure!))
        #expect(runner.health.nextOffset == 50) // the last committed batch

        // Asking again does not resurrect it.
        #expect(throws: ProjectionFailure.self) { try runner.catchUp() }
        #expect(runner.health.state != .live)
    }

    @Test func aFailingApplyOnTheRunnerThreadIsNeverLive() throws {
        let log = Self.randomLog(count: 40, seed: 4)
        let runner = ProjectionRunner(projection: TallyProjection(failAt: 45), log: log, databasePath: databasePath,
                                      batchSize: 8, tailTimeout: .milliseconds(20))
        runner.start()
        try waitUntil { runner.health.state == .live }
        log.append(try Self.randomLog(count: 10, seed: 5).read(from: 0, limit: 10).map(\.record))
        try waitUntil { if case .failed = runner.health.state { true } else { false } }
        guard case .failed(let failure) = runner.health.state else { Issue.record("not failed"); return }
        #expect(failure.offset == 45)
        runner.stop()
        if case .failed = runner.health.state {} else { Issue.record("stop overwrote the failure") }
    }

    @Test func rowsAndCheckpointCommitTogetherOrNotAtAll() throws {
        let log = Self.randomLog(count: 30, seed: 6)
        let projection = TallyProjection()
        let runner = ProjectionRunner(projection: projection, log: log, databasePath: databasePath, batchSize: 10)
        struct Crash: Error {}
        runner.beforeCommit = { offset in if offset == 20 { throw Crash() } }
        #expect(throws: ProjectionFailure.self) { try runner.catchUp() }

        // Only the first batch is visible: rows and checkpoint both from offset 10.
        let db = try Database(path: databasePath)
        let checkpoint = try db.prepare("SELECT offset FROM checkpoints WHERE name = 'tally'")
        #expect(try checkpoint.step())
        #expect(checkpoint.int64(at: 0) == 10)
        let total = try db.prepare("SELECT sum(count) FROM tally")
        #expect(try total.step())
        #expect(total.int64(at: 0) == 10)

        // A restart resumes from there and ends where a clean build ends.
        let restarted = TallyProjection()
        try ProjectionRunner(projection: restarted, log: log, databasePath: databasePath, batchSize: 10).catchUp()
        let clean = TallyProjection()
        try ProjectionRunner(projection: clean, log: log, databasePath: directory.file("clean.sqlite")).catchUp()
        #expect(restarted.contentHash() == clean.contentHash())
    }

    @Test func aCorruptLogFailsTheProjectionNamingTheOffset() throws {
        let log = Self.randomLog(count: 30, seed: 7)
        log.corruptAt = 25
        let runner = ProjectionRunner(projection: TallyProjection(), log: log, databasePath: databasePath, batchSize: 10)
        let failure = #expect(throws: ProjectionFailure.self) { try runner.catchUp() }
        #expect(failure?.offset == 20)
    }

    @Test func theRunnerThreadTailsTheLogAndReportsLag() throws {
        let log = Self.randomLog(count: 25, seed: 8)
        let projection = TallyProjection()
        let runner = ProjectionRunner(projection: projection, log: log, databasePath: databasePath,
                                      batchSize: 10, tailTimeout: .milliseconds(20), clock: { Timestamp(nanoseconds: 7) })
        runner.start()
        try waitUntil { runner.health.state == .live && runner.health.nextOffset == 25 }
        log.append(.tick(Tick(token: 1, price: 1, volume: 1)), at: 100)
        try waitUntil { runner.health.nextOffset == 26 }
        runner.stop()
        let health = runner.health
        #expect(health.state == .stopped)
        #expect(health.lagEvents == 0)
        #expect(health.lagSeconds == 0)
        #expect(health.lastAppliedOffset == 25)
        #expect(health.updatedAt == Timestamp(nanoseconds: 7))
    }

    /// While live, a runner reads the log once per `liveCommitInterval`; a command waiting for its event does not wait that out.
    @Test func aWaitForAnEventCutsTheLiveIntervalShort() throws {
        let log = Self.randomLog(count: 25, seed: 8)
        let runner = ProjectionRunner(projection: TallyProjection(), log: log, databasePath: databasePath,
                                      tailTimeout: .milliseconds(20), liveCommitInterval: .seconds(30))
        runner.start()
        defer { runner.stop() }
        try waitUntil { runner.health.state == .live && runner.health.nextOffset == 25 }
        // Left alone, the runner waits out the interval before it reads what was appended.
        log.append(.apiKeyRevoked(APIKeyRevoked(keyID: 2)), at: 100)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(runner.health.nextOffset == 25)
        // A wait for the event folds it at once: well within the timeout, far less than the 30 s interval.
        let began = ContinuousClock.now
        #expect(runner.waitUntilApplied(before: 26, timeout: .seconds(10)))
        #expect(ContinuousClock.now - began < .seconds(10))
        #expect(runner.health.nextOffset == 26)
    }

    @Test func whileLiveACheckpointThatChangesNothingWaitsForTheNextCommitOrTheStop() throws {
        let log = MemoryLog()
        let tick = Event.tick(Tick(token: 1, price: 1, volume: 1))
        for i in 0..<5 { log.append(tick, at: Int64(i)) }
        let projection = TallyProjection(consumedTypes: EventTypeMask([.sessionClosed]))
        let runner = ProjectionRunner(projection: projection, log: log, databasePath: databasePath, batchSize: 10,
                                      tailTimeout: .milliseconds(20), idleCheckpointInterval: .seconds(3600))
        let db = try Database(path: databasePath)
        func checkpoint() throws -> Int64 {
            let select = try db.prepare("SELECT offset FROM checkpoints WHERE name = 'tally'")
            #expect(try select.step())
            return select.int64(at: 0)
        }
        runner.start()
        try waitUntil { runner.health.state == .live && runner.health.nextOffset == 5 }
        #expect(try checkpoint() == 5)  // catching up commits every batch

        // Ticks the projection does not read: applied and published, the commit deferred.
        for i in 5..<8 { log.append(tick, at: Int64(i)) }
        try waitUntil { runner.health.nextOffset == 8 }
        #expect(try checkpoint() == 5)

        // An entry it reads commits rows and the whole checkpoint together.
        log.append(.sessionClosed(SessionClosed(sessionID: 1, reason: "test")), at: 8)
        try waitUntil { runner.health.nextOffset == 9 }
        #expect(try checkpoint() == 9)

        // The stop writes what was deferred.
        for i in 9..<11 { log.append(tick, at: Int64(i)) }
        try waitUntil { runner.health.nextOffset == 11 }
        #expect(try checkpoint() == 9)

        // What a process that died now would resume from (the database as it is) reaches the
        // same state as a clean build.
        let resumed = TallyProjection(consumedTypes: EventTypeMask([.sessionClosed]))
        let resumedDatabase = directory.file("resumed.sqlite")
        try db.backup(to: resumedDatabase)
        try ProjectionRunner(projection: resumed, log: log, databasePath: resumedDatabase).catchUp()
        let clean = TallyProjection(consumedTypes: EventTypeMask([.sessionClosed]))
        try ProjectionRunner(projection: clean, log: log, databasePath: directory.file("clean.sqlite")).catchUp()
        #expect(resumed.contentHash() == clean.contentHash())
        #expect(clean.counts == ["session_closed": 1])

        runner.stop()
        #expect(try checkpoint() == 11)
        #expect(projection.contentHash() == clean.contentHash())
    }

    @Test func onAQuietLogADeferredCheckpointIsCommittedOnceItIsDue() throws {
        let log = MemoryLog()
        let tick = Event.tick(Tick(token: 1, price: 1, volume: 1))
        log.append(tick, at: 0)
        let runner = ProjectionRunner(projection: TallyProjection(consumedTypes: EventTypeMask([.sessionClosed])), log: log,
                                      databasePath: databasePath, tailTimeout: .milliseconds(20),
                                      idleCheckpointInterval: .milliseconds(300))
        runner.start()
        defer { runner.stop() }
        try waitUntil { runner.health.state == .live && runner.health.nextOffset == 1 }
        for i in 1..<4 { log.append(tick, at: Int64(i)) }
        try waitUntil { runner.health.nextOffset == 4 }
        let db = try Database(path: databasePath)
        let select = try db.prepare("SELECT offset FROM checkpoints WHERE name = 'tally'")
        try waitUntil {
            defer { select.reset() }
            return (try? select.step()) == true && select.int64(at: 0) == 4
        }
    }

    @Test func lagCountsEventsAndEventTimeBehindTheNewestEntry() throws {
        let log = MemoryLog()
        for i in 0..<10 { log.append(.tick(Tick(token: 1, price: 1, volume: 1)), at: 1_000 + Int64(i) * 6) }
        let projection = TallyProjection()
        let runner = ProjectionRunner(projection: projection, log: log, databasePath: databasePath, batchSize: 4)
        var seen: [UInt64: ProjectionHealth] = [:]
        // Health is refreshed right after each publish, so at publish N it still shows the previous batch.
        projection.onPublish = { [unowned runner] offset in seen[offset] = runner.health }
        try runner.catchUp()

        let afterFirstBatch = try #require(seen[8])
        #expect(afterFirstBatch.nextOffset == 4)
        #expect(afterFirstBatch.lastAppliedOffset == 3)
        #expect(afterFirstBatch.lagEvents == 6)
        #expect(afterFirstBatch.lagSeconds == 36) // entry 9 at 1054 s, entry 3 at 1018 s
        #expect(afterFirstBatch.state == .catchingUp)
        #expect(runner.health.lagEvents == 0)
        #expect(runner.health.lagSeconds == 0)
        #expect(runner.health.state == .live)
    }

    /// Polls a condition set by another thread; a generous bound keeps a slow CI from flaking.
    private func waitUntil(_ condition: () -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: 10)
        while !condition() {
            guard Date() < deadline else { throw TimedOut() }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }
    struct TimedOut: Error {}
}
