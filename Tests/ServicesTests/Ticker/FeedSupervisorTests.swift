import EventLog
import Testing
@testable import Services

/// Failing, stalling and quitting feeds under a supervisor with a manual clock: every wait is
/// on a condition (the supervisor's health, the clock's sleepers), never a sleep.
@Suite struct FeedSupervisorTests {
    struct FeedFailure: Error, CustomStringConvertible {
        var description: String { "connection reset" }
    }

    /// Fails its first `failures` runs; then appends a tick every `period` until stopped.
    final class ScriptedFeed: Feed {
        let name = "scripted"
        let failures: Int
        let period: Duration
        let runs = Monitor(0)

        init(failures: Int, period: Duration = .seconds(1)) {
            self.failures = failures
            self.period = period
        }

        func run(_ context: FeedContext) throws {
            let run = runs.update { $0 += 1; return $0 }
            if run <= failures { throw FeedFailure() }
            var next = context.now()
            while !context.isStopRequested {
                let tick = Tick(token: TickerFixtures.infy, price: 152_345, volume: 1)
                try context.append([Record(time: next, event: .tick(tick))])
                next = Timestamp(rawValue: next.rawValue + Int64(period.components.seconds) * 1_000_000_000)
                context.sleep(until: next)
            }
        }
    }

    /// Returns at once without a stop request.
    struct QuittingFeed: Feed {
        let name = "quitter"
        func run(_ context: FeedContext) throws {}
    }

    func makeSupervisor(_ feed: any Feed, clock: ManualFeedClock, sink: @escaping @Sendable ([Record]) throws -> Void = { _ in })
        -> FeedSupervisor {
        FeedSupervisor(feed: feed, sink: sink, clock: clock, stallAfter: .seconds(10),
                       backoff: .init(initial: .seconds(1), maximum: .seconds(4)))
    }

    @Test func backoffDoublesFromTheInitialDelayUpToTheMaximum() {
        let backoff = FeedSupervisor.Backoff(initial: .milliseconds(500), maximum: .seconds(8))
        #expect((1...8).map { backoff.delay(afterFailures: $0) }
            == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8), .seconds(8)])
        #expect(backoff.delay(afterFailures: 10_000) == .seconds(8))
    }

    @Test func aFailingFeedIsDegradedRetriedWithGrowingBackoffAndRecoversOnItsFirstTick() {
        let clock = ManualFeedClock()
        let start = clock.now()
        let feed = ScriptedFeed(failures: 4)
        let supervisor = makeSupervisor(feed, clock: clock)
        supervisor.start()
        var elapsed: Int64 = 0
        for (failures, delay) in [(1, 1), (2, 2), (3, 4), (4, 4)] as [(Int, Int64)] {
            let health = supervisor.waitForHealth(timeout: .seconds(30)) { $0.consecutiveFailures == failures && $0.nextRetry != nil }
            #expect(health.state == .degraded)
            #expect(health.reason == "failed (\(failures) in a row): connection reset; retrying in \(delay) s")
            #expect(health.nextRetry == Timestamp(rawValue: start.rawValue + (elapsed + delay) * 1_000_000_000))
            #expect(health.ticksAppended == 0)
            clock.advance(by: .seconds(delay))
            elapsed += delay
        }
        let recovered = supervisor.waitForHealth(timeout: .seconds(30)) { $0.state == .ok }
        #expect(recovered.consecutiveFailures == 0)
        #expect(recovered.reason == nil)
        #expect(recovered.nextRetry == nil)
        #expect(recovered.ticksAppended == 1)
        #expect(recovered.lastTickTime == Timestamp(rawValue: start.rawValue + elapsed * 1_000_000_000))
        #expect(feed.runs.withLock { $0 } == 5)
        supervisor.stop()
        #expect(supervisor.health.state == .stopped)
    }

    @Test func aSilentFeedIsReportedStalledAndOKAgainWhenTicksResume() {
        let clock = ManualFeedClock()
        let supervisor = makeSupervisor(ScriptedFeed(failures: 0, period: .seconds(30)), clock: clock)
        supervisor.start()
        #expect(supervisor.waitForHealth(timeout: .seconds(30)) { $0.ticksAppended == 1 }.state == .ok)
        clock.waitForSleepers()
        clock.advance(by: .seconds(9))
        #expect(supervisor.health.state == .ok)
        clock.advance(by: .seconds(1))
        #expect(supervisor.health.state == .degraded)
        #expect(supervisor.health.reason == "stalled: no tick for 10 s")
        #expect(supervisor.health.consecutiveFailures == 0, "a stall is not a failure: the feed is not restarted")
        clock.advance(by: .seconds(20))
        let resumed = supervisor.waitForHealth(timeout: .seconds(30)) { $0.ticksAppended == 2 }
        #expect(resumed.state == .ok)
        #expect(supervisor.health.state == .ok)
        supervisor.stop()
    }

    @Test func aFeedThatNeverTicksIsStalledFromItsStart() {
        let clock = ManualFeedClock()
        let supervisor = makeSupervisor(ScriptedFeed(failures: 0), clock: clock, sink: { _ in })
        #expect(supervisor.health.state == .stopped)
        let silent = makeSupervisor(QuietFeed(), clock: clock)
        silent.start()
        #expect(silent.health.state == .starting)
        clock.waitForSleepers()
        clock.advance(by: .seconds(10))
        #expect(silent.health.state == .degraded)
        #expect(silent.health.reason == "stalled: no tick in the 10 s since the feed started")
        silent.stop()
    }

    /// Waits for a stop without ever ticking.
    struct QuietFeed: Feed {
        let name = "quiet"
        func run(_ context: FeedContext) throws {
            while !context.isStopRequested { context.sleep(until: Timestamp(rawValue: .max)) }
        }
    }

    @Test func aFeedThatReturnsByItselfCountsAsAFailure() {
        let clock = ManualFeedClock()
        let supervisor = makeSupervisor(QuittingFeed(), clock: clock)
        supervisor.start()
        let health = supervisor.waitForHealth(timeout: .seconds(30)) { $0.consecutiveFailures == 1 }
        #expect(health.reason == "failed (1 in a row): the feed ended by itself; retrying in 1 s")
        supervisor.stop()
    }

    @Test func aLogThatRefusesAppendsDegradesTheFeedUntilItAcceptsThemAgain() {
        struct DiskFull: Error, CustomStringConvertible { var description: String { "no space left on device" } }
        let clock = ManualFeedClock()
        let failing = Monitor(true)
        let feed = SimulatedFeed(instruments: TickerFixtures.instruments, rate: 1_000)
        let supervisor = makeSupervisor(feed, clock: clock, sink: { _ in if failing.withLock({ $0 }) { throw DiskFull() } })
        supervisor.start()
        clock.waitForSleepers()
        clock.advance(by: .milliseconds(5))
        let degraded = supervisor.waitForHealth(timeout: .seconds(30)) { $0.state == .degraded }
        #expect(degraded.reason == "failed (1 in a row): no space left on device; retrying in 1 s")
        failing.update { $0 = false }
        clock.advance(by: .seconds(1))
        // Restarted (half-open) once the reason says so; then its first batch waits on the clock.
        let retrying = supervisor.waitForHealth(timeout: .seconds(30)) { $0.reason?.hasSuffix("retrying now") == true }
        #expect(retrying.state == .degraded)
        clock.waitForSleepers()
        clock.advance(by: .milliseconds(5))
        let recovered = supervisor.waitForHealth(timeout: .seconds(30)) { $0.state == .ok }
        #expect(recovered.ticksAppended == 5)
        supervisor.stop()
    }

    @Test func stopEndsABackoffWaitAtOnce() {
        let clock = ManualFeedClock()
        let supervisor = makeSupervisor(ScriptedFeed(failures: .max), clock: clock)
        supervisor.start()
        _ = supervisor.waitForHealth(timeout: .seconds(30)) { $0.nextRetry != nil }
        supervisor.stop()
        #expect(supervisor.health.state == .stopped)
        #expect(supervisor.health.nextRetry == nil)
        // And it starts again.
        supervisor.start()
        #expect(supervisor.waitForHealth(timeout: .seconds(30)) { $0.consecutiveFailures == 2 }.consecutiveFailures == 2)
        supervisor.stop()
    }
}
