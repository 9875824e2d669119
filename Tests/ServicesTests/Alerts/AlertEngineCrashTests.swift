import EventLog
import Foundation
import Glibc
import Testing
@testable import Services

/// The engine in a child process (`tape debug-alert-engine`), killed with SIGKILL again and again
/// while it evaluates and while a feeder appends ticks: the firings in the log must be exactly those
/// a brute-force reading of the final log gives — none twice, none missing.
@Suite(.serialized) struct AlertEngineCrashTests {
    /// Thirty rules over tokens 1…4 (levels around 100.00, short pct windows, once and every with
    /// short cooldowns), some changed and deleted along the way, among a few hundred ticks.
    static func initialScript(seed: UInt64) -> AlertScript {
        var rng = SplitMix64(seed: seed)
        var script = AlertScript()
        let conditions = AlertCondition.allCases
        func rule() -> AlertRule {
            let condition = conditions[rng.index(conditions.count)]
            var rule = AlertRule(token: UInt32(rng.next(in: 1...4)), condition: condition.rawValue)
            if condition == .pctChange {
                rule.percent = Double(rng.next(in: 1...8)) / 10 * (rng.next(in: 0...1) == 0 ? 1 : -1)
                rule.windowSeconds = UInt32(rng.next(in: 5...60))
            } else {
                rule.price = Double(9_900 + 5 * rng.next(in: 0...40)) / 100
            }
            rule.frequency = rng.next(in: 0...3) == 0 ? "once" : "every"
            rule.cooldownSeconds = UInt32([0, 1, 5, 30][rng.index(4)])
            return rule
        }
        for id in 1...30 as ClosedRange<UInt64> {
            script.create(id, user: UInt64(rng.next(in: 1...5)), rule())
            for _ in 0..<10 { script.tick(UInt32(rng.next(in: 1...4)), Double(9_900 + 5 * rng.next(in: 0...40)) / 100, after: 0.1) }
            if id % 7 == 0 { script.update(id - 3, rule()) }
            if id % 11 == 0 { script.delete(id - 5) }
        }
        return script
    }

    /// Runs one child to its end (or kills it after `killAfter`) and returns what it printed.
    private func runChild(_ arguments: [String], killAfter: Duration?) throws -> (output: String, status: Int32) {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: AlertFixtures.tape)
        child.arguments = arguments
        let output = Pipe()
        child.standardOutput = output
        child.standardError = FileHandle.standardError
        try child.run()
        let deadline = ContinuousClock.now + (killAfter ?? .seconds(120))
        while child.isRunning && ContinuousClock.now < deadline { usleep(2_000) }
        if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
        return (String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), child.terminationStatus)
    }

    @Test func killNineNeverDuplicatesNorLosesAFiring() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        try AlertFixtures.makeLog(Self.initialScript(seed: 5), in: data).close()
        var rng = SplitMix64(seed: 77)
        // Each run feeds 2,000 more entries, so that every run has ticks to evaluate and firings to append.
        var target = UInt64(Self.initialScript(seed: 5).entries.count)
        var resumedWithLoggedFirings = 0
        var restarts = 0
        for cycle in 0..<20 {
            target += 2_000
            var arguments = ["debug-alert-engine", "--data", data, "--batch", "\(rng.next(in: 1...400))",
                             "--checkpoint-every", "\(rng.next(in: 20...3_000))", "--feed-until", "\(target)"]
            // Some runs kill themselves right after an append (before a checkpoint can cover it), or
            // right after a checkpoint (before the next append); the others are killed at a random time.
            switch cycle % 3 {
            case 1: arguments += ["--crash-after-appends", "\(rng.next(in: 1...5))"]
            case 2: arguments += ["--crash-after-checkpoints", "\(rng.next(in: 1...2))"]
            default: break
            }
            let selfKill = cycle % 3 != 0
            let (output, status) = try runChild(arguments, killAfter: selfKill ? .seconds(3) : .milliseconds(Int64(rng.next(in: 40...400))))
            #expect(status != 0, "cycle \(cycle) should have been killed: \(output)")
            for line in output.split(separator: "\n") where line.hasPrefix("resumed ") {
                restarts += 1
                if let logged = Int(line.split(separator: " ").last ?? ""), logged > 0 { resumedWithLoggedFirings += 1 }
            }
        }
        target += 2_000
        let (final, status) = try runChild(["debug-alert-engine", "--data", data, "--feed-until", "\(target)", "--until", "caught-up"],
                                           killAfter: nil)
        #expect(status == 0, "final run: \(final)")
        #expect(final.contains("unexplained 0"), "\(final)")
        #expect(restarts >= 15)
        // The dedupe path ran: some restart found firings logged after its checkpoint.
        #expect(resumedWithLoggedFirings > 0)

        let entries = try AlertFixtures.entries(in: data)
        #expect(UInt64(entries.count) >= target)
        let logged = AlertFixtures.loggedFirings(entries)
        let expected = BruteForceAlerts.firings(entries)
        #expect(expected.count > 100)
        #expect(Set(logged.map { Fired(alertID: $0.alertID, tickOffset: $0.tickOffset) }).count == logged.count, "no (alert, tick) twice")
        #expect(logged.count == expected.count)
        // The log's firings are exactly the brute-force firings, in order, with their versions and numbers.
        let firstDifference = (0..<min(logged.count, expected.count)).first { logged[$0] != expected[$0] }
        #expect(firstDifference == nil, "first difference at \(firstDifference ?? 0): \(firstDifference.map { "\(logged[$0]) vs \(expected[$0])" } ?? "")")
        #expect(try LogInspector.verify(directory: data + "/log").isClean)
    }
}
