import EventLog
import Foundation
import Projections
import Services
import Testing

/// Projection runners whose SQLite database is on a full disk: each refused commit puts the in-memory
/// state back to the checkpoint and is retried, so when space returns the runners catch up on their
/// own, and the state they hold in memory (and on disk) is exactly a rebuild's.
@Suite(.serialized, .enabled(if: SmallFilesystem.isAvailable, "needs the right to mount a tmpfs (root)"))
struct ProjectionDiskFullTests {
    /// Waits, up to a deadline, until `condition` holds for every runner.
    func wait(for runners: [ProjectionRunner], _ what: String, until condition: (ProjectionHealth) -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if runners.allSatisfy({ condition($0.health) }) { return }
            usleep(10_000)
        }
        throw LoopbackError(description: "runners never \(what): \(runners.map(\.health))")
    }

    @Test func refusedCommitsAreRetriedAndTheStateEqualsARebuildWhenSpaceReturns() throws {
        let root = makeTemporaryDirectory("tape-projection-full")
        defer { removeDirectory(root) }
        let disk = try SmallFilesystem(at: root + "/db", megabytes: 16)
        defer { disk.unmount() }
        let log = try EventLog(directory: root + "/log")
        var rng = SplitMix64(seed: 3)
        var time = Timestamp(nanoseconds: 1_764_300_000_000_000_000)
        func appendTicks(_ count: Int) throws {
            try log.append((0..<count).map { i in
                time = Timestamp(nanoseconds: time.nanoseconds + Int64(rng.next(in: 1...90)) * 1_000_000_000)
                return Record(time: time, event: .tick(Tick(token: UInt32(rng.next(in: 1...20)), price: Int64(rng.next(in: 9_000...11_000)),
                                                            volume: UInt64(i + 1))))
            })
        }
        try log.append((1...20).map { token in
            Record(time: time, event: .instrumentListed(Instrument(token: token, exchangeToken: token, tradingSymbol: "S\(token)", name: "N\(token)",
                                                                   expiry: nil, strike: 0, tickSize: 0.05, lotSize: 1, instrumentType: "EQ",
                                                                   segment: "NSE", exchange: "NSE")))
        })
        try appendTicks(500)

        let projections: [any Projection] = [InstrumentCatalog(), QuotesProjection(), CandlesProjection(), AlertsProjection()]
        let runners = projections.map {
            ProjectionRunner(projection: $0, log: try! log.makeReader(), databasePath: disk.path + "/projections.sqlite", batchSize: 200)
        }
        runners.forEach { $0.start() }
        defer { runners.forEach { $0.stop() } }
        try wait(for: runners, "went live") { $0.state == .live && $0.nextOffset == log.durableEnd }

        // The disk fills; the log (elsewhere) takes more ticks, which the runners cannot commit.
        disk.fill()
        for _ in 0..<10 { try appendTicks(400) }
        try wait(for: runners, "reported a refused commit") { $0.retrying?.contains("disk is full") == true }
        #expect(runners.allSatisfy { $0.health.state == .live }, "a refused commit must not fail the projection")

        disk.drain()
        try wait(for: runners, "caught up after space returned") { $0.retrying == nil && $0.nextOffset == log.durableEnd }
        runners.forEach { $0.stop() }

        // What each holds in memory, what a resume from its checkpoint gives, and a rebuild from 0 agree.
        for (projection, runner) in zip(projections, runners) {
            let rebuilt = try fresh(like: projection)
            let rebuiltRunner = ProjectionRunner(projection: rebuilt, log: try log.makeReader(), databasePath: root + "/rebuilt-\(projection.name).sqlite")
            try rebuiltRunner.rebuild()
            let resumed = try fresh(like: projection)
            try ProjectionRunner(projection: resumed, log: try log.makeReader(), databasePath: disk.path + "/projections.sqlite").catchUp()
            #expect(projection.contentHash() == rebuilt.contentHash(), "\(projection.name) in memory differs from a rebuild")
            #expect(resumed.contentHash() == rebuilt.contentHash(), "\(projection.name) resumed differs from a rebuild")
            #expect(runner.health.nextOffset == log.durableEnd)
        }
        try log.close()
    }

    /// A new, empty projection of the same kind.
    private func fresh(like projection: any Projection) throws -> any Projection {
        switch projection {
        case is InstrumentCatalog: InstrumentCatalog()
        case is QuotesProjection: QuotesProjection()
        case is CandlesProjection: CandlesProjection()
        case is AlertsProjection: AlertsProjection()
        default: throw LoopbackError(description: "no fresh \(projection.name)")
        }
    }
}
