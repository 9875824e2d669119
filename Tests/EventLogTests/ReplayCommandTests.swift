import EventLog
import Foundation
import Testing
import TapeTestSupport

/// `tape replay` run as a user runs it, over a real log.
@Suite struct ReplayCommandTests {
    /// 1,000 ticks a microsecond apart from 1764300000 (token = offset + 1), then a signal a second later.
    static func makeLog() throws -> TemporaryDirectory {
        let directory = TemporaryDirectory()
        let log = try EventLog(directory: directory.log, options: LogOptions(durability: .never))
        try log.append(tickRecords(0..<1_000))
        try log.append([Record(time: Timestamp(nanoseconds: 1_764_300_001_000_000_000),
                               event: .signalPublished(SignalPublished(model: "m", token: 5, value: 0.5)))])
        try log.close()
        return directory
    }

    @Test func twoReplaysOfARangeAreByteIdenticalAndInLogOrder() throws {
        let directory = try Self.makeLog()
        let arguments = ["replay", "--data", directory.path, "--from", "1764300000.0001", "--to", "1764300000.0002"]
        let first = try runProcess(tapeExecutable, arguments), second = try runProcess(tapeExecutable, arguments)
        #expect(first.status == 0)
        #expect(first.output == second.output)
        let lines = first.output.split(separator: "\n")
        #expect(lines.count == 100)   // ticks 100…199: [from, to)
        let offsets = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["offset"] as? Int }
        #expect(offsets == (100..<200).map { $0 })
    }

    @Test func tokensTypesAndCSV() throws {
        let directory = try Self.makeLog()
        let signal = try runProcess(tapeExecutable, ["replay", "--data", directory.path, "--types", "signal_published"])
        #expect(signal.output.split(separator: "\n").count == 1)
        #expect(signal.output.contains("\"model\":\"m\""))
        let token = try runProcess(tapeExecutable, ["replay", "--data", directory.path, "--tokens", "5", "--types", "tick"])
        #expect(token.output.split(separator: "\n").count == 1)   // offset 4 only
        let csv = try runProcess(tapeExecutable, ["replay", "--data", directory.path, "--format", "csv", "--from-offset", "998"])
        #expect(csv.status == 0)
        #expect(csv.output == "offset,time,token,price,volume,oi,bid,ask\n998,1764300000.000998,999,9.98,998,,,\n999,1764300000.000999,1000,9.99,999,,,\n")
    }

    @Test func pacingFollowsEventTime() throws {
        let directory = try Self.makeLog()
        // The log spans one second of event time: at speed 4 the replay takes at least 250 ms.
        let start = ContinuousClock.now
        let paced = try runProcess(tapeExecutable, ["replay", "--data", directory.path, "--speed", "4"])
        #expect(paced.status == 0)
        #expect(paced.output.split(separator: "\n").count == 1_001)
        #expect(ContinuousClock.now - start >= .milliseconds(250))
    }

    @Test(arguments: [["--format", "xml"], ["--speed", "0"], ["--from", "yesterday"], ["--types", "ticks"],
                      ["--tokens", "a"], ["--format", "csv", "--types", "signal_published"], ["--from", "1", "--from-offset", "1"]])
    func badFlagsAreUsageErrors(flags: [String]) throws {
        let directory = try Self.makeLog()
        let result = try runProcess(tapeExecutable, ["replay", "--data", directory.path] + flags)
        #expect(result.status == 64)
        #expect(!result.output.isEmpty)
    }
}
