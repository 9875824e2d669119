import EventLog
import Foundation
import Testing
import TapeTestSupport

@Suite struct RecoveryTests {
    @Test func everyTruncationPointOfTheLastBatchRecoversToThePreviousBatch() throws {
        let dir = TemporaryDirectory()
        let pristine = dir.path + "/pristine"
        do {
            let log = try EventLog(directory: pristine, options: LogOptions(durability: .never))
            try log.append(tickRecords(0..<20))
            try log.append(tickRecords(20..<45))
            try log.close()
        }
        let segment = "/" + SegmentName.segment(0)
        let full = fileSize(pristine + segment)
        let original = try Data(contentsOf: URL(fileURLWithPath: pristine + segment))
        let lastBatchStart = Int64(original.count) - {
            // The last batch is everything after the first batch.
            let first = original.withUnsafeBytes { try? BatchHeader.decode($0).get() }
            return Int64(original.count) - first!.totalLength
        }()
        for cut in lastBatchStart..<full {
            let copy = dir.path + "/copy"
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: pristine, toPath: copy)
            truncate(copy + segment, off_t(cut))
            let log = try EventLog(directory: copy)
            #expect(log.acceptedEnd == 20, "cut at \(cut)")
            #expect(log.recovery.truncatedBytes == cut - lastBatchStart)
            #expect(log.recovery.droppedEvents == (cut - lastBatchStart >= Int64(BatchHeader.size) ? 25 : 0))
            #expect(try log.makeReader().read(from: 0, limit: 100).map(\.record) == tickRecords(0..<20))
            // And the log appends again from there.
            #expect(try log.append(tickRecords(20..<21)) == 20...20)
        }
    }

    @Test func aFlippedByteInASealedSegmentIsFoundByVerifyAndByReaders() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log, options: LogOptions(segmentSize: 4096, durability: .never))
        for start in stride(from: UInt64(0), to: 2_000, by: 100) { try log.append(tickRecords(start..<(start + 100))) }
        try log.close()
        let victim = dir.log + "/" + SegmentName.segment(0)
        let position = fileSize(victim) / 2
        try flipByte(in: victim, at: position)

        let report = try LogInspector.verify(directory: dir.log)
        #expect(report.problems.count == 1)
        let problem = try #require(report.problems.first)
        #expect(problem.segment == victim)
        #expect(problem.position <= position)
        #expect(problem.offsets != nil)

        let reader = try LogReader(directory: dir.log)
        #expect {
            try reader.scan(from: 0) { _ in true }
        } throws: { error in
            guard case .corrupt(let segment, let at, _, _) = error as? LogError else { return false }
            return segment == victim && at == problem.position
        }

        let (status, output) = try runProcess(tapeExecutable, ["verify", "--data", dir.path])
        #expect(status == 1)
        #expect(output.contains("BAD FRAME"))
        #expect(output.contains(victim))
    }

    @Test func damageBeforeTheTailOfTheLastSegmentIsRefusedNotTruncated() throws {
        let dir = TemporaryDirectory()
        do {
            let log = try EventLog(directory: dir.log, options: LogOptions(durability: .never))
            for start in stride(from: UInt64(0), to: 500, by: 100) { try log.append(tickRecords(start..<(start + 100))) }
            try log.close()
        }
        let segment = dir.log + "/" + SegmentName.segment(0)
        try flipByte(in: segment, at: 200)
        #expect {
            try EventLog(directory: dir.log)
        } throws: { error in
            guard case .corrupt(let path, _, _, let reason) = error as? LogError else { return false }
            return path == segment && reason.contains("not a torn tail")
        }
        // Told to stop at the damage, it cuts there and keeps what came before.
        var options = LogOptions()
        options.truncateAtDamage = true
        let log = try EventLog(directory: dir.log, options: options)
        #expect(log.acceptedEnd == 0)
        #expect(log.recovery.truncatedBytes > 0)
    }

    @Test func killNineNeverLosesAnAcknowledgedAppend() throws {
        let dir = TemporaryDirectory()
        var rng = SplitMix64(seed: 99)
        var acknowledged: UInt64? = nil
        for cycle in 0..<20 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: tapeExecutable)
            child.arguments = ["debug-append-loop", "--data", dir.path, "--batch", "\(1 + rng.next() % 200)", "--segment-size", "65536"]
            let pipe = Pipe()
            child.standardOutput = pipe
            try child.run()
            // Let it run a random while, reading what it reports as durable, then kill -9.
            let stopAt = ContinuousClock.now + .milliseconds(Int64(20 + rng.next() % 200))
            var pending = Data()
            let handle = pipe.fileHandleForReading
            while ContinuousClock.now < stopAt {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                if let lastNewline = pending.lastIndex(of: 0x0A) {
                    let text = String(decoding: pending[..<lastNewline], as: UTF8.self)
                    if let line = text.split(separator: "\n").last, let n = UInt64(line.dropFirst(8)) {
                        acknowledged = max(acknowledged ?? 0, n)
                    }
                    pending.removeSubrange(...lastNewline)
                }
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            // Whatever it printed before dying was acknowledged too.
            let rest = handle.readDataToEndOfFile()
            for line in String(decoding: pending + rest, as: UTF8.self).split(separator: "\n") {
                if line.hasPrefix("durable "), let n = UInt64(line.dropFirst(8)) { acknowledged = max(acknowledged ?? 0, n) }
            }

            let log = try EventLog(directory: dir.log, options: LogOptions(segmentSize: 65536))
            let end = log.acceptedEnd
            if let acknowledged { #expect(end > acknowledged, "cycle \(cycle): acknowledged \(acknowledged), log ends at \(end)") }
            var expected: UInt64 = 0
            try log.makeReader().scan(from: 0) { entry in
                #expect(entry.offset == expected)
                #expect(entry.record == tickRecord(entry.offset))
                expected += 1
                return true
            }
            #expect(expected == end)
            try log.close()
        }
        #expect(try LogInspector.verify(directory: dir.log).isClean)
        #expect((acknowledged ?? 0) > 0)
    }
}
