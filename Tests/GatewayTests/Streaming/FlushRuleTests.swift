import Testing
@testable import Gateway

/// The hub's rule for when a session with ticks waiting is sent them.
@Suite struct FlushRuleTests {
    static let ms: UInt64 = 1_000_000
    static let start: UInt64 = 1_000 * ms

    func due(at elapsed: UInt64, round: UInt64, bytes: Int = 100) -> [UInt64] {
        let rule = FlushRule(interval: 10 * Self.ms, phases: 3, maxBytes: 1 << 16, now: Self.start + elapsed, round: round)
        return (0..<6).filter { rule.isDue(sessionID: $0, pendingSince: Self.start, pendingBytes: bytes) }
    }

    @Test func sessionsWaitingSinceTheSameRoundAreSentInTurnsNotAllAtOnce() {
        #expect(due(at: 6 * Self.ms, round: 7) == [1, 4])
        #expect(due(at: 6 * Self.ms, round: 8) == [2, 5])
        #expect(due(at: 6 * Self.ms, round: 9) == [0, 3])
    }

    @Test func noTickIsSentBeforeHalfTheIntervalEvenOnItsTurn() {
        #expect(due(at: 4 * Self.ms, round: 7) == [])
        #expect(due(at: 5 * Self.ms, round: 7) == [1, 4])
    }

    @Test func everySessionIsSentOnceItsOldestTickHasWaitedTheIntervalOrNearlySo() {
        #expect(due(at: 8 * Self.ms, round: 7) == [1, 4])
        #expect(due(at: 9 * Self.ms, round: 7) == [0, 1, 2, 3, 4, 5])
        #expect(due(at: 30 * Self.ms, round: 8) == [0, 1, 2, 3, 4, 5])
    }

    @Test func aFullBatchIsSentAtOnce() {
        #expect(due(at: 0, round: 7, bytes: 1 << 16) == [0, 1, 2, 3, 4, 5])
    }

    @Test func oneAndNoPhasesMeanEverySessionIsSentAtHalfTheInterval() {
        for phases in [0, 1] {
            let rule = FlushRule(interval: 10 * Self.ms, phases: phases, maxBytes: 1 << 16, now: Self.start + 5 * Self.ms, round: 4)
            #expect((0..<6).allSatisfy { rule.isDue(sessionID: $0, pendingSince: Self.start, pendingBytes: 1) })
        }
    }
}
