import EventLog
import Foundation
import Services
import Testing

/// `tape serve` on a log damaged before its end: refused with a clear message, or with `--stop-at-damage`
/// (or `TAPE_STOP_AT_DAMAGE=on`) cut at the damage, the cut bytes moved aside, and served.
@Suite(.serialized) struct StopAtDamageTests {
    /// Flips one byte inside the frame of `batch`, leaving valid batches after it.
    static func damage(_ batch: DamagedLog.Batch, of log: DamagedLog) throws {
        let file = try File(path: log.path(of: batch.segment), flags: O_RDWR)
        let position = batch.position + Int64(BatchHeader.size) + 20
        try file.write([try file.read(count: 1, at: position)[0] ^ 0x5A], at: position)
    }

    static func serveArguments(_ log: DamagedLog) -> [String] {
        ["serve", "--data", log.dataDirectory, "--port", "0", "--auth", "off", "--feed", "none", "--threads", "1"]
    }

    @Test func serveRefusesDamageFollowedByValidBatchesAndSaysHowToGoOn() throws {
        let log = try DamagedLog()
        let lastSegment = log.batches.filter(\.isInLastSegment)
        let damaged = lastSegment[lastSegment.count / 2]
        try Self.damage(damaged, of: log)

        let serve = try TapeProcess(Self.serveArguments(log))
        let status = try #require(serve.waitForExit(), "tape serve kept running on a damaged log: \(serve.text)")
        #expect(status == 65)
        let path = log.path(of: damaged.segment)
        #expect(serve.text.contains("refusing to serve a damaged log: corrupt log: \(path) at byte \(damaged.position)"), "\(serve.text)")
        #expect(serve.text.contains("--stop-at-damage") && serve.text.contains("tape verify --data \(log.dataDirectory)"), "\(serve.text)")
        // Nothing was cut.
        #expect(fileSize(path) == log.batches.last!.endPosition)
        #expect(!FileManager.default.fileExists(atPath: log.logDirectory + "/damaged"))
    }

    @Test func stopAtDamageCutsTheLastSegmentKeepsTheCutBytesAndServesWhatPrecedes() throws {
        let log = try DamagedLog()
        let lastSegment = log.batches.filter(\.isInLastSegment)
        let damaged = lastSegment[lastSegment.count / 2]
        let path = log.path(of: damaged.segment)
        let sizeBefore = fileSize(path)
        try Self.damage(damaged, of: log)
        let damagedBytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))[Int(damaged.position)...]

        let serve = try TapeProcess(Self.serveArguments(log) + ["--stop-at-damage"])
        #expect(serve.waitForOutput(containing: "tape: serving"), "\(serve.text)")
        #expect(serve.text.contains("stopped the log at its damage (--stop-at-damage): \(path) cut at byte \(damaged.position) (offset \(damaged.baseOffset))"), "\(serve.text)")
        #expect(serve.stop() == 0, "\(serve.text)")

        // The cut bytes, damaged batch and the valid ones after it, are kept whole; the segment ends where the damage began.
        let kept = log.logDirectory + "/damaged/\(damaged.segment).from-\(damaged.position)"
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: kept)))[...] == damagedBytes)
        #expect(fileSize(path) == damaged.position && sizeBefore > damaged.position)
        // Every event before the damage is still there, unchanged (serve appended nothing past them to the log's first part).
        let read = try log.readBack()
        #expect(read.mismatch == nil || read.mismatch! >= damaged.baseOffset)
        #expect(read.count >= damaged.baseOffset)
    }

    @Test func stopAtDamageFromTheEnvironmentMovesTheSegmentsAfterASealedDamageAside() throws {
        let log = try DamagedLog()
        let firstSegment = log.batches.filter { $0.segment == log.segments[0] }
        let damaged = firstSegment[firstSegment.count / 2]
        try Self.damage(damaged, of: log)

        let serve = try TapeProcess(Self.serveArguments(log), environment: ["TAPE_STOP_AT_DAMAGE": "on"])
        #expect(serve.waitForOutput(containing: "tape: serving"), "\(serve.text)")
        #expect(serve.stop() == 0, "\(serve.text)")

        #expect(fileSize(log.path(of: damaged.segment)) == damaged.position)
        #expect(fileSize(log.logDirectory + "/damaged/\(damaged.segment).from-\(damaged.position)") == firstSegment.last!.endPosition - damaged.position)
        for later in log.segments.dropFirst() {
            #expect(fileSize(log.logDirectory + "/damaged/" + later) > 0, "\(later) was not moved aside")
            #expect(!FileManager.default.fileExists(atPath: log.path(of: later)), "\(later) is still in the log")
        }
        let read = try log.readBack()
        #expect(read.count >= damaged.baseOffset && (read.mismatch == nil || read.mismatch! >= damaged.baseOffset))
    }

    @Test func theSettingIsReadFromTheFlagTheEnvironmentAndTheFileAndABadValueIsNamed() throws {
        func parse(_ arguments: [String], _ environment: [String: String] = [:], file: String? = nil) -> Result<TapeConfiguration, ConfigurationError> {
            TapeConfiguration.parse(arguments: arguments + ["--auth", "off"] + (file == nil ? [] : ["--config", "tape.conf"]),
                                    environment: environment, fileContents: file)
        }
        #expect(try parse([]).get().stopsAtDamage == false)
        #expect(try parse(["--stop-at-damage"]).get().stopsAtDamage)
        #expect(try parse([], ["TAPE_STOP_AT_DAMAGE": "on"]).get().stopsAtDamage)
        #expect(try parse([], file: "stop_at_damage = on\n").get().stopsAtDamage)
        #expect(try parse(["--stop-at-damage=off"], ["TAPE_STOP_AT_DAMAGE": "on"]).get().stopsAtDamage == false)
        guard case .failure(let error) = parse([], ["TAPE_STOP_AT_DAMAGE": "maybe"]) else {
            Issue.record("TAPE_STOP_AT_DAMAGE=maybe was accepted")
            return
        }
        #expect("\(error)".contains("--stop-at-damage / TAPE_STOP_AT_DAMAGE"), "\(error)")
    }
}
