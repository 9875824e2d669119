import EventLog
import Testing
@testable import Services

private func level(_ condition: AlertCondition, _ price: Double, token: UInt32 = 1, frequency: String = "once",
                   cooldown: UInt32 = 0) -> AlertRule {
    AlertRule(token: token, condition: condition.rawValue, price: price, frequency: frequency, cooldownSeconds: cooldown)
}

private func pct(_ percent: Double, window: UInt32, token: UInt32 = 1, frequency: String = "once", cooldown: UInt32 = 0) -> AlertRule {
    AlertRule(token: token, condition: "pct_change", percent: percent, windowSeconds: window, frequency: frequency, cooldownSeconds: cooldown)
}

/// One row of the crossing table: prices before the rule, prices after it, which of the latter fire.
struct CrossingCase: CustomTestStringConvertible, Sendable {
    var condition: AlertCondition
    var before: [Double]
    var after: [Double]
    var fires: [Bool]
    var testDescription: String { "\(condition.rawValue) 100: \(before) | \(after)" }
}

@Suite struct AlertEvaluatorTests {
    static let crossings: [CrossingCase] = [
        // From below, through, and a jump over the level between two ticks (a gap).
        CrossingCase(condition: .crossesAbove, before: [99], after: [101], fires: [true]),
        CrossingCase(condition: .crossesAbove, before: [95], after: [105], fires: [true]),
        // From above: no crossing above, whatever happens after as long as it stays at or above.
        CrossingCase(condition: .crossesAbove, before: [102], after: [101, 100, 103], fires: [false, false, false]),
        // Reaching the level from below counts; starting at the level and rising does not.
        CrossingCase(condition: .crossesAbove, before: [99], after: [100], fires: [true]),
        CrossingCase(condition: .crossesAbove, before: [100], after: [101], fires: [false]),
        // Equal prices at the level do not cross again.
        CrossingCase(condition: .crossesAbove, before: [99], after: [100, 100, 100], fires: [true, false, false]),
        // No earlier tick of the token: no crossing.
        CrossingCase(condition: .crossesAbove, before: [], after: [101, 99, 101], fires: [false, false, true]),
        CrossingCase(condition: .crossesBelow, before: [101], after: [99], fires: [true]),
        CrossingCase(condition: .crossesBelow, before: [105], after: [95], fires: [true]),
        CrossingCase(condition: .crossesBelow, before: [98], after: [99, 100, 97], fires: [false, false, false]),
        CrossingCase(condition: .crossesBelow, before: [101], after: [100], fires: [true]),
        CrossingCase(condition: .crossesBelow, before: [100], after: [99], fires: [false]),
        CrossingCase(condition: .priceAbove, before: [], after: [99.99, 100, 100.01, 99], fires: [false, true, true, false]),
        CrossingCase(condition: .priceBelow, before: [], after: [100.01, 100, 99.99, 101], fires: [false, true, true, false]),
    ]

    @Test(arguments: crossings)
    func levelConditionsFireAsTheTableSays(_ row: CrossingCase) {
        for frequency in ["once", "every"] {
            var script = AlertScript()
            for price in row.before { script.tick(1, price) }
            script.create(1, level(row.condition, 100, frequency: frequency))
            let offsets = row.after.map { script.tick(1, $0) }
            let fired = Set(script.fired().map(\.tickOffset))
            var expected = zip(offsets, row.fires).filter(\.1).map(\.0)
            // `once` keeps only the first.
            if frequency == "once" { expected = Array(expected.prefix(1)) }
            #expect(fired == Set(expected), "frequency \(frequency)")
        }
    }

    @Test func crossingsSeeOnlyTheirOwnTokensPreviousTick() {
        var script = AlertScript()
        script.tick(1, 99)
        script.create(1, level(.crossesAbove, 100))
        script.tick(2, 150) // another token, above the level: not a previous price of token 1
        let crossing = script.tick(1, 101)
        #expect(script.fired() == [Fired(alertID: 1, tickOffset: crossing)])
        let firing = script.firings()[0]
        #expect(firing.previous?.price == 99)
        #expect(firing.previous?.offset == 0)
    }

    @Test func aRuleNeverSeesTicksAtOrBeforeItsCreation() {
        var script = AlertScript()
        script.tick(1, 120)
        script.create(1, level(.priceAbove, 100))
        #expect(script.fired().isEmpty)
        let next = script.tick(1, 120)
        #expect(script.fired() == [Fired(alertID: 1, tickOffset: next)])
    }

    @Test func everyFiresAgainOnlyOnceTheCooldownOfTickTimeHasPassed() {
        var script = AlertScript()
        script.create(1, level(.priceAbove, 100, frequency: "every", cooldown: 60))
        let first = script.tick(1, 101, after: 1)
        script.tick(1, 101, after: 10)
        script.tick(1, 101, after: 20)
        let second = script.tick(1, 101, after: 30) // exactly 60 s after the first
        script.tick(1, 101, after: 59)
        let third = script.tick(1, 101, after: 1)
        #expect(script.fired().map(\.tickOffset) == [first, second, third])
        #expect(script.firings().map(\.n) == [1, 2, 3])
    }

    @Test func everyWithoutCooldownFiresOnEveryTickThatHolds() {
        var script = AlertScript()
        script.create(1, level(.priceBelow, 100, frequency: "every"))
        let ticks = [99, 101, 98, 100].map { script.tick(1, $0, after: 0) }
        #expect(script.fired().map(\.tickOffset) == [ticks[0], ticks[2], ticks[3]])
    }

    @Test func onceFiresOnceUntilAnUpdateReArmsIt() {
        var script = AlertScript()
        script.create(1, level(.priceAbove, 100))
        let first = script.tick(1, 101)
        script.tick(1, 102)
        script.update(1, level(.priceAbove, 100))
        let rearmed = script.tick(1, 103)
        script.tick(1, 104)
        let firings = script.firings()
        #expect(firings.map(\.tick.offset) == [first, rearmed])
        #expect(firings.map(\.ruleVersion) == [1, 2])
        #expect(firings.map(\.n) == [1, 2])
    }

    @Test func expiryIsTickTimeAndExclusive() {
        var script = AlertScript()
        var rule = level(.priceAbove, 100, frequency: "every")
        rule.expiresAt = Timestamp(rawValue: script.time.rawValue + 10_000_000_000)
        script.create(1, rule)
        let before = script.tick(1, 101, after: 9)
        script.tick(1, 101, after: 1) // exactly at the expiry
        script.tick(1, 101, after: 1)
        #expect(script.fired().map(\.tickOffset) == [before])
    }

    @Test func aDisabledRuleNeverFiresAndEnablingItIsAnUpdate() {
        var script = AlertScript()
        var rule = level(.crossesAbove, 100)
        rule.isEnabled = false
        script.create(1, rule)
        script.tick(1, 99)
        script.tick(1, 101)
        #expect(script.fired().isEmpty)
        rule.isEnabled = true
        script.update(1, rule)
        script.tick(1, 102) // already above: enabling does not invent a crossing
        script.tick(1, 99)
        let crossing = script.tick(1, 100.5)
        #expect(script.fired() == [Fired(alertID: 1, tickOffset: crossing)])
    }

    @Test func deletedAlertsStopAndTheirIdsAreNeverReused() {
        var script = AlertScript()
        script.create(1, level(.priceAbove, 100, frequency: "every"))
        let fired = script.tick(1, 101)
        script.delete(1)
        script.tick(1, 102)
        script.create(1, level(.priceAbove, 100, frequency: "every"))
        script.tick(1, 103)
        #expect(script.fired() == [Fired(alertID: 1, tickOffset: fired)])
    }

    @Test func staleAndUnknownUpdatesAreIgnored() {
        var script = AlertScript()
        script.create(1, level(.priceAbove, 100))
        script.append(.alertUpdated(AlertChange(alertID: 1, userID: 1, version: 1, rule: level(.priceAbove, 200))))
        script.append(.alertUpdated(AlertChange(alertID: 7, userID: 1, version: 2, rule: level(.priceAbove, 50))))
        let fired = script.tick(1, 150)
        #expect(script.fired() == [Fired(alertID: 1, tickOffset: fired)])
        var evaluator = AlertEvaluator()
        for entry in script.entries { _ = evaluator.apply(entry) }
        #expect(evaluator.rule(of: 1)?.version == 1)
        #expect(evaluator.rule(of: 7) == nil)
    }

    @Test func pctChangeUpMeasuresFromTheWindowsLow() {
        var script = AlertScript()
        script.create(1, pct(5, window: 300))
        script.tick(1, 100, after: 0)
        script.tick(1, 98, after: 100)   // the low
        script.tick(1, 102, after: 100)  // +4.08 % from 98: no
        let fired = script.tick(1, 102.9, after: 50) // +5 % from 98 (102.9 = 98 × 1.05)
        let firings = script.firings()
        #expect(firings.map(\.tick.offset) == [fired])
        #expect(firings.first?.reference?.price == 98)
    }

    @Test func pctChangeForgetsTicksOlderThanTheWindow() {
        var script = AlertScript()
        script.create(1, pct(5, window: 60))
        script.tick(1, 100, after: 0)
        script.tick(1, 103, after: 30)
        script.tick(1, 105, after: 31) // 61 s after 100: only 103 is in the window → +1.9 %
        #expect(script.fired().isEmpty)
        script.tick(1, 100, after: 0)
        let fired = script.tick(1, 105, after: 60) // exactly 60 s: the window is inclusive
        #expect(script.fired().map(\.tickOffset) == [fired])
    }

    @Test func pctChangeDownMeasuresFromTheHighAndRestartsAfterEachFiring() {
        var script = AlertScript()
        script.create(1, pct(-2, window: 600, frequency: "every"))
        script.tick(1, 100, after: 0)
        script.tick(1, 101, after: 10)       // the high
        let first = script.tick(1, 98.98, after: 10)  // exactly −2 % from 101
        script.tick(1, 98, after: 10)        // −0.99 % from 98.98, where the window restarted
        let second = script.tick(1, 96.5, after: 10) // −2.5 % from 98.98
        #expect(script.fired().map(\.tickOffset) == [first, second])
        #expect(script.firings().map { $0.reference?.price } == [101, 98.98])
    }

    @Test func pctChangeWindowsStartWithTheRule() {
        var script = AlertScript()
        script.tick(1, 90, after: 0)
        script.create(1, pct(5, window: 600))
        script.tick(1, 94, after: 1) // +4.4 % from 90, but 90 predates the rule
        #expect(script.fired().isEmpty)
    }

    @Test func firingsForOneTickComeOutInAlertIDOrder() {
        var script = AlertScript()
        script.create(5, level(.priceAbove, 100))
        script.create(2, level(.priceAbove, 100))
        script.create(9, level(.crossesAbove, 100))
        script.tick(1, 99)
        script.tick(1, 101)
        #expect(script.fired().map(\.alertID) == [2, 5, 9])
    }

    @Test func changingTheTokenMovesTheRule() {
        var script = AlertScript()
        script.create(1, level(.priceAbove, 100, token: 1))
        script.update(1, level(.priceAbove, 100, token: 2))
        script.tick(1, 150)
        let fired = script.tick(2, 150)
        #expect(script.fired() == [Fired(alertID: 1, tickOffset: fired)])
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func theEvaluatorAgreesWithABruteForceReadingOfTheSemantics(seed: UInt64) {
        let script = AlertScript.random(seed: seed, events: 1_500)
        let expected = BruteForceAlerts.firings(script.entries)
        let got = script.firings().map { BruteForceAlerts.Result(alertID: $0.alertID, tickOffset: $0.tick.offset, version: $0.ruleVersion, n: $0.n) }
        #expect(got == expected)
        #expect(expected.count > 20, "the random log should fire a fair amount")
    }

    @Test(arguments: [11, 12, 13] as [UInt64])
    func resumingFromAnEncodedStateGivesTheSameFiringsAndState(seed: UInt64) throws {
        let script = AlertScript.random(seed: seed, events: 1_200)
        var whole = AlertEvaluator()
        let all = script.entries.flatMap { whole.apply($0) }
        var rng = SplitMix64(seed: seed)
        var resumed = AlertEvaluator()
        var firings: [AlertEvaluator.Firing] = []
        var cut = 0
        while cut < script.entries.count {
            let next = min(script.entries.count, cut + rng.next(in: 1...200))
            for entry in script.entries[cut..<next] { firings += resumed.apply(entry) }
            resumed = try AlertEvaluator(decoding: resumed.encoded())
            cut = next
        }
        #expect(firings == all)
        #expect(resumed.encoded() == whole.encoded())
    }

    @Test(arguments: [14, 15] as [UInt64])
    func aSnapshotKeepsItsStateWhileTheEvaluatorGoesOn(seed: UInt64) {
        // What the engine's background checkpoint relies on: a copy taken between two entries
        // encodes the same bytes after the original has evaluated (and fired, and slid pct
        // windows) further; rules live in per-token groups, copied one at a time as ticks touch them.
        let script = AlertScript.random(seed: seed, events: 1_500)
        var evaluator = AlertEvaluator()
        var rng = SplitMix64(seed: seed)
        var cut = 0
        while cut < script.entries.count {
            let next = min(script.entries.count, cut + rng.next(in: 1...300))
            let snapshot = evaluator, before = evaluator.encoded()
            for entry in script.entries[cut..<next] { _ = evaluator.apply(entry) }
            #expect(snapshot.encoded() == before)
            cut = next
        }
        var whole = AlertEvaluator()
        for entry in script.entries { _ = whole.apply(entry) }
        #expect(evaluator.encoded() == whole.encoded())
    }

    @Test func aDamagedStateIsRefusedNotMisread() {
        var script = AlertScript()
        script.create(1, pct(5, window: 60))
        script.tick(1, 100)
        var evaluator = AlertEvaluator()
        for entry in script.entries { _ = evaluator.apply(entry) }
        let bytes = evaluator.encoded()
        #expect(throws: (any Error).self) { try AlertEvaluator(decoding: Array(bytes.dropLast())) }
        #expect(throws: (any Error).self) { try AlertEvaluator(decoding: bytes + [0]) }
        #expect(throws: (any Error).self) { try AlertEvaluator(decoding: [AlertEvaluator.stateFormat + 1] + bytes.dropFirst()) }
    }

    @Test func ruleValidationNamesEveryProblem() {
        let now = Timestamp(rawValue: 1_764_300_000_000_000_000)
        #expect(level(.crossesAbove, 100).problems(now: now).isEmpty)
        #expect(pct(-3, window: 300).problems(now: now).isEmpty)
        var bad = AlertRule(token: 1, condition: "pct_change", price: 5, percent: 0, frequency: "sometimes",
                            expiresAt: Timestamp(rawValue: now.rawValue - 1))
        #expect(bad.problems(now: now).map(\.field) == ["pct", "window", "price", "frequency", "expires_at"])
        bad = AlertRule(token: 1, condition: "price_above", percent: 3, windowSeconds: 60)
        #expect(bad.problems(now: now).map(\.field) == ["price", "pct", "window"])
        #expect(AlertRule(token: 1, condition: "near").problems(now: now).map(\.field) == ["condition"])
    }
}
