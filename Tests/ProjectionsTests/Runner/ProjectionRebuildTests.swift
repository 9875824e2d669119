import EventLog
import Foundation
import Synchronization
import Testing
@testable import Projections

@Suite struct ProjectionRebuildTests {
    let directory = TemporaryDirectory()
    var livePath: String { directory.file("projections.sqlite") }
    var asidePath: String { directory.file("projections.rebuild-tally.sqlite") }

    /// What readers saw at each publish of the live projection: (offset, events counted).
    final class Publications: Sendable {
        let seen = Mutex<[(offset: UInt64, total: Int64)]>([])
        func watch(_ projection: TallyProjection) {
            projection.onPublish = { [unowned projection] offset in
                let total = projection.counts.values.reduce(0, +)
                self.seen.withLock { $0.append((offset, total)) }
            }
        }
    }

    static func appendRandom(_ count: Int, to log: MemoryLog, seed: UInt64) {
        let more = ProjectionRunnerTests.randomLog(count: count, seed: seed)
        log.append(try! more.read(from: 0, limit: count).map(\.record))
    }

    @Test func aSwapWhileServingAndAppendingEndsAtTheStateOfAFreshBuild() throws {
        let log = ProjectionRunnerTests.randomLog(count: 20_000, seed: 7)
        let live = TallyProjection()
        let publications = Publications()
        publications.watch(live)
        let runner = ProjectionRunner(projection: live, log: log, databasePath: livePath, batchSize: 500)
        runner.start()
        let appended = DispatchSemaphore(value: 0)
        Thread {
            for round in 0..<40 { Self.appendRandom(500, to: log, seed: 100 + UInt64(round)) }
            appended.signal()
        }.start()

        let rebuild = ProjectionRebuild(live: runner, fresh: TallyProjection(), log: log, livePath: livePath,
                                        asidePath: asidePath, mode: .swap)
        let status = rebuild.run()
        #expect(status.phase == .done, "\(status.error ?? "")")
        appended.wait()
        let end = try log.endOffset()
        #expect(runner.waitUntilApplied(before: end, timeout: .seconds(30)))
        runner.stop()

        // Readers only ever saw whole states, moving forwards: the swap published a state as far as the live one.
        let seen = publications.seen.withLock { $0 }
        #expect(seen.allSatisfy { $0.total == Int64($0.offset) })
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.offset <= $1.offset })
        let rebuilt = TallyProjection()
        try ProjectionRunner(projection: rebuilt, log: log, databasePath: directory.file("check.sqlite")).catchUp()
        #expect(runner.withProjection { $0.contentHash() } == rebuilt.contentHash())
        #expect(!FileManager.default.fileExists(atPath: asidePath))

        // A restart resumes from the swapped-in tables and checkpoint.
        let resumed = TallyProjection()
        try ProjectionRunner(projection: resumed, log: log, databasePath: livePath).catchUp()
        #expect(resumed.contentHash() == rebuilt.contentHash())
        #expect(resumed.appliedCount == 0)
    }

    @Test func aDiffReportsWhatABugLeftInTheLiveTablesAndChangesNothing() throws {
        let log = ProjectionRunnerTests.randomLog(count: 3_000, seed: 3)
        let buggy = TallyProjection()
        buggy.countsTwice = "tick"
        let runner = ProjectionRunner(projection: buggy, log: log, databasePath: livePath, batchSize: 256)
        try runner.catchUp(to: 2_000)
        let liveHashBefore = buggy.contentHash()

        let status = ProjectionRebuild(live: runner, fresh: TallyProjection(), log: log, livePath: livePath,
                                       asidePath: asidePath, mode: .diff).run()
        let diff = try #require(status.diff)
        #expect(status.phase == .done)
        #expect(diff.offset == 3_000)
        #expect(!diff.isIdentical)
        #expect(diff.liveHash != diff.rebuiltHash)
        let table = try #require(diff.tables.first)
        #expect(table.name == "tally" && table.liveRows == table.rebuiltRows)
        #expect(table.onlyInLive == 1 && table.onlyInRebuilt == 1)
        #expect(table.samplesOnlyInLive.count == 1 && table.samplesOnlyInLive[0].hasPrefix("type=\"tick\" count="))
        // The live side was only caught up to the build's offset, bug and all; nothing was swapped.
        #expect(liveHashBefore != buggy.contentHash())
        #expect(buggy.counts["tick"] == 2 * (try ProjectionRunnerTests.count(of: "tick", in: log)))
        #expect(!FileManager.default.fileExists(atPath: asidePath))
    }

    @Test func aDiffOfTheSameCodeIsIdentical() throws {
        let log = ProjectionRunnerTests.randomLog(count: 2_000, seed: 4)
        let runner = ProjectionRunner(projection: TallyProjection(), log: log, databasePath: livePath, batchSize: 128)
        try runner.catchUp()
        let status = ProjectionRebuild(live: runner, fresh: TallyProjection(), log: log, livePath: livePath,
                                       asidePath: asidePath, mode: .diff).run()
        #expect(try #require(status.diff).isIdentical)
    }

    /// A status that reads finished means the aside files are gone: the server lets the next
    /// rebuild of the projection start then, at the same path.
    @Test(arguments: [ProjectionRebuild.Mode.swap, .diff])
    func aRebuildReadsFinishedOnlyOnceItsAsideFilesAreGone(mode: ProjectionRebuild.Mode) throws {
        let log = ProjectionRunnerTests.randomLog(count: 200, seed: 8)
        let runner = ProjectionRunner(projection: TallyProjection(), log: log, databasePath: livePath, batchSize: 100)
        try runner.catchUp()
        for _ in 0..<20 {
            let rebuild = ProjectionRebuild(live: runner, fresh: TallyProjection(), log: log, livePath: livePath,
                                            asidePath: asidePath, mode: mode)
            let ran = DispatchSemaphore(value: 0)
            Thread { rebuild.run(); ran.signal() }.start()
            while !rebuild.status.isFinished {}
            for suffix in ["", "-wal", "-shm"] { #expect(!FileManager.default.fileExists(atPath: asidePath + suffix)) }
            #expect(rebuild.status.phase == .done)
            ran.wait()
        }
    }

    @Test func aSwapRepairsAFailedProjection() throws {
        let log = ProjectionRunnerTests.randomLog(count: 1_000, seed: 5)
        let live = TallyProjection(failAt: 600)
        let runner = ProjectionRunner(projection: live, log: log, databasePath: livePath, batchSize: 100)
        #expect(throws: ProjectionFailure.self) { try runner.catchUp() }
        live.failAt = nil // the "fix"; the fresh build never had the fault
        let status = ProjectionRebuild(live: runner, fresh: TallyProjection(), log: log, livePath: livePath,
                                       asidePath: asidePath, mode: .swap).run()
        #expect(status.phase == .done)
        #expect(runner.health.state == .live)
        #expect(try runner.catchUp() == 1_000)
        #expect(live.counts.values.reduce(0, +) == 1_000)
    }

    @Test func aBuildThatFailsLeavesTheLiveProjectionServing() throws {
        let log = ProjectionRunnerTests.randomLog(count: 1_000, seed: 6)
        let live = TallyProjection()
        let runner = ProjectionRunner(projection: live, log: log, databasePath: livePath, batchSize: 100)
        try runner.catchUp()
        let hash = live.contentHash()
        let status = ProjectionRebuild(live: runner, fresh: TallyProjection(failAt: 500), log: log, livePath: livePath,
                                       asidePath: asidePath, mode: .swap).run()
        #expect(status.phase == .failed)
        #expect(status.error?.contains("injected failure") == true)
        #expect(runner.health.state == .live)
        #expect(live.contentHash() == hash)
        #expect(!FileManager.default.fileExists(atPath: asidePath))
    }
}

extension ProjectionRunnerTests {
    static func count(of type: String, in log: MemoryLog) throws -> Int64 {
        Int64(try log.read(from: 0, limit: Int.max).filter { $0.event.type.name == type }.count)
    }
}
