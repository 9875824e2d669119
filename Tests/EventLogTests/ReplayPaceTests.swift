import EventLog
import Testing

@Suite struct ReplayPaceTests {
    @Test func eventsAreDueByEventTimeOverTheSpeed() {
        var pace = ReplayPace(speed: 10)
        let start = ContinuousClock.now
        #expect(pace.delay(before: Timestamp(seconds: 100), now: start) == .zero)
        #expect(pace.delay(before: Timestamp(seconds: 110), now: start) == .seconds(1))
        #expect(pace.delay(before: Timestamp(seconds: 110), now: start + .seconds(2)) == .zero)
    }

    @Test func timesAsFarApartAsTheyCanBeDoNotOverflow() {
        var pace = ReplayPace(speed: 1)
        let start = ContinuousClock.now
        _ = pace.delay(before: Timestamp(rawValue: .min), now: start)
        // Almost 600 years later at speed 1: a long wait, computed without trapping.
        #expect(pace.delay(before: Timestamp(rawValue: .max), now: start) > .seconds(1_000_000))
        pace.restart()
        _ = pace.delay(before: Timestamp(rawValue: .max), now: start)
        #expect(pace.delay(before: Timestamp(rawValue: .min), now: start) == .zero)
    }
}
