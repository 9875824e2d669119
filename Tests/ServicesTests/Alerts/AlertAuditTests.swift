import EventLog
import Foundation
import Testing
@testable import Services
import TapeTestSupport

@Suite struct AlertAuditTests {
    /// Two users' alerts on token 7: a crossing, a level and a pct move, with an update in between.
    static func script() -> AlertScript {
        var script = AlertScript()
        script.tick(7, 99.5)
        script.create(1, user: 3, AlertRule(token: 7, condition: "crosses_above", price: 100, frequency: "every"))
        script.create(2, user: 4, AlertRule(token: 7, condition: "price_below", price: 98))
        script.create(3, user: 3, AlertRule(token: 7, condition: "pct_change", percent: 2, windowSeconds: 300, frequency: "every"))
        script.tick(7, 100.25)  // 1 crosses above
        script.tick(7, 99)
        script.tick(7, 97.5)    // 2 is below 98
        script.update(1, user: 3, AlertRule(token: 7, condition: "crosses_above", price: 99, frequency: "every"))
        script.tick(7, 99.5)    // 1 (v2) crosses 99; 3: +2.05 % from 97.5
        script.tick(7, 98)
        script.tick(7, 99)      // 1 (v2) reaches 99 from below
        return script
    }

    /// A log holding the script and, appended after it, the given firings as AlertTriggered events.
    private func writeLog(_ script: AlertScript, firings: [AlertTriggered], to data: String) throws {
        var records = script.records
        records += firings.map { Record(time: $0.tickTime, event: .alertTriggered($0)) }
        let log = try EventLog(directory: data + "/log", options: LogOptions(durability: .never))
        try log.append(records)
        try log.close()
    }

    @Test func everyFiringTheEngineLoggedIsConfirmedAndExplained() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let script = Self.script()
        try AlertFixtures.runEngine(over: script, in: data)

        let report = try AlertAudit.audit(try LogReader(directory: data + "/log"))
        #expect(report.isClean)
        #expect(report.findings.map(\.logged.alertID) == [1, 2, 1, 3, 1])
        #expect(report.findings.map(\.logged.n) == [1, 1, 2, 1, 3])
        #expect(report.missing.isEmpty && report.pending.isEmpty)

        let crossing = report.findings[2]
        #expect(crossing.verdict == .confirmed)
        #expect(crossing.userID == 3)
        #expect(crossing.rule?.version == 2)
        #expect(crossing.rule?.kind == .updated)
        #expect(crossing.rule?.rule.price == 99)
        #expect(crossing.tick?.price == 99.5)
        #expect(crossing.previous?.price == 97.5)
        #expect(crossing.explanation.contains("was below the level 99"))
        #expect(crossing.explanation.contains("it crossed above"))

        let move = report.findings[3]
        #expect(move.reference?.price == 97.5)
        #expect(move.explanation.contains("+2.05 %"))
        #expect(move.text.contains("reference"))
        #expect(report.text.contains("Result: PASS"))
    }

    @Test func explainReplaysToOneFiringAndAgreesWithTheFullAudit() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let log = try AlertFixtures.makeLog(Self.script(), in: data)
        try AlertEngine(log: log, reader: try log.makeReader(), databasePath: data + "/projections.sqlite").catchUp()
        let reader = try log.makeReader()
        let audit = try AlertAudit.audit(reader, alertIDs: [1], firing: 2)
        #expect(audit.findings.count == 1)
        let finding = try #require(audit.findings.first)
        let explained = try AlertAudit.explain(reader, firing: finding.logged)
        #expect(explained.verdict == .confirmed)
        #expect(explained.text == finding.text)
    }

    @Test func tamperedDuplicatedMissingAndInventedFiringsAreEachFlagged() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let script = AlertScript.random(seed: 41, events: 600)
        var firings = script.firings().map(\.triggered)
        try #require(firings.count > 10)
        let last = firings.removeLast()                 // pending: nothing logged after it
        let missing = firings.remove(at: 5)             // missing: later firings are logged
        firings[0].price += 1                            // mismatch
        firings.insert(firings[3], at: 4)                // duplicate
        // Invented: alert 1 on a tick of its token where the replay gives nothing.
        var evaluator = AlertEvaluator()
        var invented: AlertTriggered?
        for entry in script.entries {
            let fired = evaluator.apply(entry)
            if case .tick(let tick) = entry.event, invented == nil, let rule = evaluator.rule(of: 1), rule.rule.token == tick.token,
               !fired.contains(where: { $0.alertID == 1 }) {
                invented = AlertTriggered(alertID: 1, ruleVersion: rule.version, tickOffset: entry.offset, price: tick.priceValue, tickTime: entry.time)
            }
        }
        firings.append(try #require(invented))
        firings.sort { $0.tickOffset < $1.tickOffset }
        try writeLog(script, firings: firings, to: data)

        let report = try AlertAudit.audit(try LogReader(directory: data + "/log"))
        #expect(!report.isClean)
        #expect(report.count("mismatch") == 1)
        #expect(report.count("duplicate") == 1)
        #expect(report.count("not_reproduced") == 1)
        #expect(report.count("confirmed") == firings.count - 3)
        #expect(report.missing.map(\.triggered) == [missing])
        #expect(report.pending.map(\.triggered) == [last])
        // Explaining the repeat on its own flags it too.
        let repeated = try #require(report.findings.first { $0.verdict.name == "duplicate" })
        let earlier = report.findings.map(\.logged).filter { $0.alertID == repeated.logged.alertID && $0.n < repeated.logged.n }
        let explained = try AlertAudit.explain(try LogReader(directory: data + "/log"), firing: repeated.logged, earlier: earlier)
        #expect(explained.verdict == repeated.verdict)
        let mismatch = try #require(report.findings.first { $0.verdict.name == "mismatch" })
        #expect(mismatch.verdictText.contains("price"))
        #expect(report.text.contains("Result: FAIL"))
        #expect(report.text.contains("MISSING"))
    }

    @Test func aTimeRangeSelectsFiringsByTheirTicksTime() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let script = Self.script()
        try writeLog(script, firings: script.firings().map(\.triggered), to: data)
        let reader = try LogReader(directory: data + "/log")
        let all = try AlertAudit.audit(reader)
        let times = all.findings.map(\.logged.time)
        // Firings 2 and 3 share a tick; the range is inclusive at its start and exclusive at its end.
        let inRange = try AlertAudit.audit(reader, from: times[1], to: times[4])
        #expect(inRange.findings.map(\.logged.offset) == Array(all.findings[1..<4].map(\.logged.offset)))
        #expect(try AlertAudit.audit(reader, from: times[1], to: times[2]).findings.count == 1)
        #expect(inRange.isClean)
    }
}

/// `tape audit` as a compliance reviewer runs it.
@Suite struct AlertAuditCommandTests {
    @Test func auditAlertExplainsOneFiringAndAuditAlertsChecksARange() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let script = AlertAuditTests.script()
        try AlertFixtures.runEngine(over: script, in: data)

        let one = try AlertFixtures.runTape(["audit", "alert", "1", "--firing", "2", "--data", data])
        #expect(one.status == 0, "\(one.output)\(one.errors)")
        for text in ["Firing 2 of alert 1 (user 3): CONFIRMED", "rule v2", "crosses_above 99 on token 7", "set by alert_updated",
                     "previous  offset", "price 97.5", "it crossed above", "Result: PASS"] {
            #expect(one.output.contains(text), "missing '\(text)' in:\n\(one.output)")
        }

        let firings = script.firings()
        let from = firings[1].tick.time.iso8601, to = firings[4].tick.time.iso8601
        let range = try AlertFixtures.runTape(["audit", "alerts", "--from", from, "--to", to, "--data", data])
        #expect(range.status == 0, "\(range.output)\(range.errors)")
        #expect(range.output.contains("Summary: 3 logged firing(s) in scope: 3 confirmed"), "\(range.output)")

        let json = try AlertFixtures.runTape(["audit", "alerts", "--data", data, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["clean"] as? Bool == true)
        #expect((object["findings"] as? [[String: Any]])?.count == firings.count)

        // --problems: a clean audit lists no firing, and still counts them.
        let quiet = try AlertFixtures.runTape(["audit", "alerts", "--data", data, "--problems"])
        #expect(quiet.status == 0)
        #expect(!quiet.output.contains("Firing "), "\(quiet.output)")
        #expect(quiet.output.contains("Summary: \(firings.count) logged firing(s) in scope: \(firings.count) confirmed"), "\(quiet.output)")
        let quietJSON = try AlertFixtures.runTape(["audit", "alerts", "--data", data, "--json", "--problems"])
        let quietObject = try #require(try JSONSerialization.jsonObject(with: Data(quietJSON.output.utf8)) as? [String: Any])
        #expect((quietObject["findings"] as? [[String: Any]])?.isEmpty == true)
        #expect(quietObject["confirmed"] as? Int == firings.count)

        let absent = try AlertFixtures.runTape(["audit", "alert", "1", "--firing", "9", "--data", data])
        #expect(absent.status == 1)
        #expect(absent.errors.contains("no firing 9 of alert 1"))
        #expect(try AlertFixtures.runTape(["audit", "alerts", "--from", "yesterday", "--data", data]).status == 64)
    }

    @Test func auditAlertsFailsOnATamperedLog() throws {
        let data = AlertFixtures.makeDirectory()
        defer { AlertFixtures.remove(data) }
        let script = AlertAuditTests.script()
        var firings = script.firings().map(\.triggered)
        firings[0].ruleVersion = 5
        let log = try EventLog(directory: data + "/log", options: LogOptions(durability: .never))
        try log.append(script.records + firings.map { Record(time: $0.tickTime, event: .alertTriggered($0)) })
        try log.close()
        let result = try AlertFixtures.runTape(["audit", "alerts", "--data", data])
        #expect(result.status == 1)
        #expect(result.output.contains("MISMATCH: the replay fires on this tick with rule v1, not v5"), "\(result.output)")
        #expect(result.output.contains("Result: FAIL"))

        // --problems lists the mismatch and leaves out the confirmed firings.
        let problems = try AlertFixtures.runTape(["audit", "alerts", "--data", data, "--problems"])
        #expect(problems.status == 1)
        #expect(problems.output.contains("MISMATCH: the replay fires on this tick with rule v1, not v5"), "\(problems.output)")
        #expect(!problems.output.contains("CONFIRMED"), "\(problems.output)")
        #expect(problems.output.contains("Result: FAIL"))
    }
}
