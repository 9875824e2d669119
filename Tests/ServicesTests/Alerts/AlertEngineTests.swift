import EventLog
import Foundation
import Projections
import Testing
@testable import Services

/// Collects what an `onFiring` hook received; lock-guarded.
private final class FiringRecorder: Sendable {
    private let received = Monitor<[(AlertFiring, UInt64)]>([])
    func record(_ firing: AlertFiring, _ userID: UInt64) { received.update { $0.append((firing, userID)) } }
    var all: [(AlertFiring, UInt64)] { received.withLock { $0 } }
}

@Suite struct AlertEngineTests {
    private func makeEngine(_ log: EventLog, data: String, batch: Int = 37, every: UInt64 = 101,
                            onFiring: AlertEngine.FiringHandler? = nil) throws -> AlertEngine {
        AlertEngine(log: log, reader: try log.makeReader(), databasePath: data + "/projections.sqlite", batchSize: batch,
                    checkpointEvery: every, idleCheckpointDelay: .milliseconds(10), tailTimeout: .milliseconds(20), onFiring: onFiring)
    }

    private func checkpointOffset(_ data: String) throws -> UInt64? {
        let db = try Database(path: data + "/projections.sqlite")
        let select = try db.prepare("SELECT next_offset FROM alert_engine_checkpoint WHERE name = 'alert_engine'")
        return try select.step() ? UInt64(select.int64(at: 0)) : nil
    }

    @Test func theEngineAppendsExactlyTheFiringsOfABruteForceReplay() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let script = AlertScript.random(seed: 21, events: 2_000)
        let log = try AlertFixtures.makeLog(script, in: data)
        let engine = try makeEngine(log, data: data)
        try engine.catchUp()
        let entries = try log.makeReader().read(from: 0, limit: .max)
        let expected = BruteForceAlerts.firings(entries)
        #expect(expected.count > 20)
        #expect(AlertFixtures.loggedFirings(entries) == expected)
        #expect(engine.status.appended == UInt64(expected.count))
        // The engine reads its own events back, and they change nothing.
        try engine.catchUp()
        #expect(AlertFixtures.loggedFirings(try log.makeReader().read(from: 0, limit: .max)) == expected)
        #expect(try checkpointOffset(data) == log.durableEnd)
    }

    @Test func aRestartThatLostItsCheckpointAppendsNothingTwice() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let log = try AlertFixtures.makeLog(AlertScript.random(seed: 22, events: 1_500), in: data)
        try makeEngine(log, data: data).catchUp()
        let before = try log.makeReader().read(from: 0, limit: .max)
        // As if it crashed after every append but before any checkpoint.
        try Database(path: data + "/projections.sqlite").execute("DELETE FROM alert_engine_checkpoint")
        let second = try makeEngine(log, data: data, batch: 500)
        try second.catchUp()
        #expect(second.status.resumedAt == 0)
        #expect(second.status.appended == 0)
        #expect(second.status.deduplicated == UInt64(AlertFixtures.loggedFirings(before).count))
        #expect(second.status.unexplained == 0)
        #expect(try log.makeReader().read(from: 0, limit: .max) == before)
    }

    @Test func aCheckpointOfAnotherFormatIsDiscardedAndTheLogStillDedupes() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let log = try AlertFixtures.makeLog(AlertScript.random(seed: 23, events: 800), in: data)
        try makeEngine(log, data: data).catchUp()
        let end = log.durableEnd
        try Database(path: data + "/projections.sqlite").execute("UPDATE alert_engine_checkpoint SET format = 99")
        let second = try makeEngine(log, data: data)
        try second.catchUp()
        #expect(second.status.resumedAt == 0)
        #expect(second.status.appended == 0)
        #expect(log.durableEnd == end)
    }

    @Test func onFiringReportsEachNewFiringWithItsOwnerAndLogOffset() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let script = AlertScript.random(seed: 24, events: 1_000)
        let log = try AlertFixtures.makeLog(script, in: data)
        let recorder = FiringRecorder()
        try makeEngine(log, data: data, onFiring: recorder.record).catchUp()
        let entries = try log.makeReader().read(from: 0, limit: .max)
        let owners = Dictionary(script.firings().map { ($0.alertID, $0.userID) }, uniquingKeysWith: { a, _ in a })
        #expect(recorder.all.count == AlertFixtures.loggedFirings(entries).count)
        for (firing, userID) in recorder.all {
            guard case .alertTriggered(let t) = entries[Int(firing.offset)].event else {
                Issue.record("offset \(firing.offset) is not an AlertTriggered")
                continue
            }
            #expect(t == AlertTriggered(alertID: firing.alertID, ruleVersion: firing.ruleVersion, tickOffset: firing.tickOffset,
                                        price: firing.price, tickTime: firing.time))
            #expect(userID == owners[firing.alertID])
            guard case .tick(let tick) = entries[Int(firing.tickOffset)].event else { continue }
            #expect(tick.token == firing.token)
        }
    }

    @Test func theEngineTailsTheLogLiveAndLeavesACheckpointWhenStopped() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let script = AlertScript.random(seed: 25, events: 1_200)
        let log = try EventLog(directory: data + "/log", options: LogOptions(durability: .never))
        let engine = try makeEngine(log, data: data)
        engine.start()
        // The script's offsets stay the log's only if nothing else is appended meanwhile: wait for the
        // engine to catch up (and append its firings) before each chunk, and compare by brute force at the end.
        var start = 0
        while start < script.records.count {
            let end = min(script.records.count, start + 150)
            try log.append(Array(script.records[start..<end]))
            start = end
            #expect(AlertFixtures.waitUntil { engine.status.nextOffset == log.durableEnd && engine.status.isLive })
        }
        engine.stop()
        let entries = try log.makeReader().read(from: 0, limit: .max)
        #expect(AlertFixtures.loggedFirings(entries) == BruteForceAlerts.firings(entries))
        #expect(try checkpointOffset(data) == log.durableEnd)

        let again = try makeEngine(log, data: data)
        try again.catchUp()
        #expect(again.status.resumedAt == log.durableEnd)
        #expect(again.status.loggedAfterCheckpoint == 0)
        #expect(again.status.appended == 0)
    }

    @Test func whileTicksFlowTheEngineCheckpointsNoMoreOftenThanTheLiveInterval() throws {
        // Checkpoints every 50 entries, but while live at most once an hour (and never for idling):
        // none is written while the script streams in, and stopping writes the one at the end.
        func run(liveInterval: Duration) throws -> (whileLive: UInt64?, atStop: UInt64?, end: UInt64) {
            let data = AlertFixtures.makeDirectory()
            defer { AlertFixtures.remove(data) }
            let script = AlertScript.random(seed: 27, events: 1_000)
            let log = try EventLog(directory: data + "/log", options: LogOptions(durability: .never))
            let engine = AlertEngine(log: log, reader: try log.makeReader(), databasePath: data + "/projections.sqlite", batchSize: 37,
                                     checkpointEvery: 50, idleCheckpointDelay: .seconds(3_600), liveCheckpointInterval: liveInterval,
                                     tailTimeout: .milliseconds(20))
            try log.append(Array(script.records[0..<10]))
            engine.start()
            #expect(AlertFixtures.waitUntil { engine.status.isLive })
            let afterStart = try checkpointOffset(data)
            var start = 10
            while start < script.records.count {
                let end = min(script.records.count, start + 100)
                try log.append(Array(script.records[start..<end]))
                start = end
                #expect(AlertFixtures.waitUntil { engine.status.nextOffset == log.durableEnd })
            }
            // Background checkpoints commit in order on their own queue; the last one may still be committing.
            Thread.sleep(forTimeInterval: 0.2)
            let whileLive = try checkpointOffset(data)
            #expect(whileLive == afterStart || liveInterval == .zero)
            engine.stop()
            return (whileLive, try checkpointOffset(data), log.durableEnd)
        }
        let hourly = try run(liveInterval: .seconds(3_600))
        #expect(hourly.atStop == hourly.end)
        #expect((hourly.whileLive ?? 0) < 100)
        let eager = try run(liveInterval: .zero)
        #expect((eager.whileLive ?? 0) > 500)
        #expect(eager.atStop == eager.end)
    }

    @Test func theAlertsProjectionNumbersFiringsAndKeepsEveryRuleVersion() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        var script = AlertScript()
        script.tick(7, 99)
        let created = script.create(1, user: 4, AlertRule(token: 7, condition: "crosses_above", price: 100, frequency: "every"))
        let first = script.tick(7, 101)
        script.tick(7, 99)
        let updated = script.update(1, user: 4, AlertRule(token: 7, condition: "crosses_above", price: 100.5, frequency: "every"))
        let second = script.tick(7, 100.5)
        let deleted = script.delete(1)
        let log = try AlertFixtures.makeLog(script, in: data)
        try makeEngine(log, data: data).catchUp()

        let projection = AlertsProjection()
        let runner = ProjectionRunner(projection: projection, log: try log.makeReader(), databasePath: data + "/projections.sqlite", batchSize: 3)
        try runner.catchUp()
        let alert = try #require(projection.snapshot.alert(id: 1))
        #expect(alert.userID == 4)
        #expect(alert.isDeleted)
        #expect(alert.history.map(\.kind) == [.created, .updated, .deleted])
        #expect(alert.history.map(\.offset) == [created, updated, deleted])
        #expect(alert.version(2)?.rule.price == 100.5)
        #expect(projection.snapshot.liveAlerts(of: 4).isEmpty)
        let firings = projection.snapshot.firings(of: 1)
        #expect(firings.map(\.n) == [1, 2])
        #expect(firings.map(\.tickOffset) == [first, second])
        #expect(firings.map(\.ruleVersion) == [1, 2])
        #expect(firings.map(\.token) == [7, 7])
        #expect(alert.firingCount == 2)

        // Resuming from SQLite gives the same state as a rebuild.
        let resumed = AlertsProjection()
        try ProjectionRunner(projection: resumed, log: try log.makeReader(), databasePath: data + "/projections.sqlite").catchUp()
        let rebuilt = AlertsProjection()
        try ProjectionRunner(projection: rebuilt, log: try log.makeReader(), databasePath: data + "/other.sqlite").rebuild()
        #expect(resumed.contentHash() == projection.contentHash())
        #expect(rebuilt.contentHash() == projection.contentHash())
        #expect(resumed.snapshot.firings(of: 1) == firings)
    }

    @Test(arguments: [31, 32] as [UInt64])
    func theProjectionResumedChunkByChunkEqualsARebuild(seed: UInt64) throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let script = AlertScript.random(seed: seed, events: 1_500)
        let log = try EventLog(directory: data + "/log", options: LogOptions(durability: .never))
        let engine = try makeEngine(log, data: data)
        var rng = SplitMix64(seed: seed)
        var hash = ""
        var start = 0
        // Each chunk: its entries, the engine's firings, then a fresh projection resuming from the last checkpoint.
        while start < script.records.count {
            let end = min(script.records.count, start + rng.next(in: 1...300))
            try log.append(Array(script.records[start..<end]))
            start = end
            try engine.catchUp()
            let projection = AlertsProjection()
            try ProjectionRunner(projection: projection, log: try log.makeReader(), databasePath: data + "/projections.sqlite",
                                 batchSize: rng.next(in: 1...64)).catchUp()
            hash = projection.contentHash()
        }
        let rebuilt = AlertsProjection()
        try ProjectionRunner(projection: rebuilt, log: try log.makeReader(), databasePath: data + "/rebuilt.sqlite").rebuild()
        #expect(rebuilt.contentHash() == hash)
        #expect(rebuilt.snapshot.asOfOffset == log.durableEnd)
    }
}

extension AlertFixtures {
    /// Polls a condition until it holds or a deadline passes.
    static func waitUntil(_ timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(2_000)
        }
        return condition()
    }
}
