import EventLog
import Foundation
import Projections
import Testing
@testable import Services

/// The paced feed under a supervisor, driven by a manual clock: counts follow the rate exactly.
@Suite struct SimulatedFeedTests {
    final class Collected: Sendable {
        let records = Monitor<[Record]>([])
    }

    func makeSupervisor(_ feed: SimulatedFeed, clock: ManualFeedClock) -> (FeedSupervisor, Collected) {
        let collected = Collected()
        let supervisor = FeedSupervisor(feed: feed, sink: { batch in collected.records.update { $0 += batch } }, clock: clock)
        return (supervisor, collected)
    }

    @Test func batchesFollowTheRateAndCarryTheClocksTime() {
        let clock = ManualFeedClock()
        let start = clock.now()
        let feed = SimulatedFeed(instruments: TickerFixtures.instruments, rate: 1_000, seed: 4, batchInterval: .milliseconds(5))
        let (supervisor, collected) = makeSupervisor(feed, clock: clock)
        supervisor.start()
        for step in 1...200 {
            clock.waitForSleepers()
            clock.advance(by: .milliseconds(5))
            let health = supervisor.waitForHealth(timeout: .seconds(30)) { $0.ticksAppended == UInt64(step * 5) }
            #expect(health.ticksAppended == UInt64(step * 5))
            #expect(health.state == .ok)
        }
        supervisor.stop()
        let records = collected.records.withLock { $0 }
        #expect(records.count == 1_000)
        #expect(records.first?.time == Timestamp(rawValue: start.rawValue + 5_000_000))
        #expect(records.last?.time == Timestamp(rawValue: start.rawValue + 1_000_000_000))
        // The same ticks a bare generator gives: pacing does not change the walk.
        var generator = TickGenerator(instruments: TickerFixtures.instruments, seed: 4)
        #expect(records.map(\.event) == (0..<1_000).map { _ in Event.tick(generator.next(at: .zero)) })
        #expect(supervisor.health.state == .stopped)
    }

    @Test func aFeedMoreThanASecondBehindDropsTheBacklogInsteadOfBursting() {
        let clock = ManualFeedClock()
        let feed = SimulatedFeed(instruments: TickerFixtures.instruments, rate: 2_000, seed: 1)
        let (supervisor, _) = makeSupervisor(feed, clock: clock)
        supervisor.start()
        clock.waitForSleepers()
        clock.advance(by: .seconds(7))
        #expect(supervisor.waitForHealth(timeout: .seconds(30)) { $0.ticksAppended > 0 }.ticksAppended == 2_000)
        clock.waitForSleepers()
        clock.advance(by: .milliseconds(5))
        #expect(supervisor.waitForHealth(timeout: .seconds(30)) { $0.ticksAppended > 2_000 }.ticksAppended == 2_010)
        supervisor.stop()
    }

    @Test func catchingUpAppendsBoundedBatchesBackToBack() {
        let clock = ManualFeedClock()
        let feed = SimulatedFeed(instruments: TickerFixtures.instruments, rate: 250_000)
        let batches = Monitor<[Int]>([])
        let counting = FeedSupervisor(feed: feed, sink: { batch in batches.update { $0.append(batch.count) } }, clock: clock)
        counting.start()
        clock.waitForSleepers()
        clock.advance(by: .seconds(1))
        #expect(counting.waitForHealth(timeout: .seconds(30)) { $0.ticksAppended == 250_000 }.ticksAppended == 250_000)
        #expect(batches.withLock { $0 } == [100_000, 100_000, 50_000])
        counting.stop()
    }

    @Test func anEmptyCatalogDegradesTheFeedUntilInstrumentsArrive() {
        let clock = ManualFeedClock()
        let available = Monitor<[Instrument]>([])
        let feed = SimulatedFeed(rate: 1_000, instruments: { available.withLock { $0 } })
        let (supervisor, _) = makeSupervisor(feed, clock: clock)
        supervisor.start()
        let degraded = supervisor.waitForHealth(timeout: .seconds(30)) { $0.state == .degraded }
        #expect(degraded.reason == "failed (1 in a row): no active instruments to tick: import instruments first (tape import instruments); retrying in 1 s")
        available.update { $0 = TickerFixtures.instruments }
        clock.advance(by: .seconds(1))
        _ = supervisor.waitForHealth(timeout: .seconds(30)) { $0.reason?.hasSuffix("retrying now") == true }
        clock.waitForSleepers()
        clock.advance(by: .milliseconds(5))
        #expect(supervisor.waitForHealth(timeout: .seconds(30)) { $0.state == .ok }.ticksAppended == 5)
        supervisor.stop()
    }

    @Test func theConfigurationChoosesTheFeedItsRateAndStallTime() throws {
        let directory = TickerDirectory()
        let log = try EventLog(directory: directory.log, options: LogOptions(durability: .never))
        var configuration = TapeConfiguration(threads: 1)
        configuration.feed = .none
        #expect(FeedSupervisor.make(for: configuration, log: log, catalog: InstrumentCatalog()) == nil)
        configuration.feed = .simulated
        configuration.feedRate = 250
        let supervisor = try #require(FeedSupervisor.make(for: configuration, log: log, catalog: InstrumentCatalog()))
        #expect(supervisor.feed.name == "simulated")
        #expect((supervisor.feed as? SimulatedFeed)?.rate == 250)
    }

    @Test func theDefaultSetIsTheCatalogsMostLiquidActiveInstruments() throws {
        let directory = TickerDirectory()
        let log = try EventLog(directory: directory.log, options: LogOptions(durability: .never))
        let fixture = InstrumentFixture.generate(seed: 1)
        var start = 0
        while start < fixture.active.count {
            let end = min(start + 10_000, fixture.active.count)
            try log.append(fixture.active[start..<end].map { Record(time: .zero, event: .instrumentListed($0)) })
            start = end
        }
        let catalog = InstrumentCatalog()
        try ProjectionRunner(projection: catalog, log: log.makeReader(), databasePath: directory.file("p.sqlite")).catchUp()
        let chosen = SimulatedFeed.liquidInstruments(in: catalog.snapshot, count: 2_000)
        #expect(chosen.count == 2_000)
        #expect(Set(chosen.map(\.token)) == Set(fixture.liquid(count: 2_000)))
        #expect(chosen.prefix(85).allSatisfy { $0.segment == "INDICES" })
    }
}
