import EventLog
import Foundation
import Testing
import TapeTestSupport

@Suite struct EventLogTests {
    @Test func offsetsAreDenseAcrossManySegmentRolls() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log, options: LogOptions(segmentSize: 4096, durability: .never))
        var next: UInt64 = 0
        var rng = SplitMix64(seed: 1)
        while next < 20_000 {
            let count = UInt64(1 + rng.next() % 300)
            let range = try log.append(tickRecords(next..<(next + count)))
            #expect(range == next...(next + count - 1))
            next += count
        }
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir.log).filter { $0.hasSuffix(".seg") }
        #expect(segments.count > 20)

        let reader = try log.makeReader()
        var expected: UInt64 = 0
        try reader.scan(from: 0) { entry in
            #expect(entry.record == tickRecord(expected))
            #expect(entry.offset == expected)
            expected += 1
            return true
        }
        #expect(expected == next)

        // A separate reader (as another process would open) sees the same.
        let other = try LogReader(directory: dir.log)
        #expect(try other.endOffset() == next)
        #expect(try other.read(from: 12_345, limit: 3).map(\.offset) == [12_345, 12_346, 12_347])
    }

    @Test func offsetLookupsLandExactlyAtAndAroundBatchBoundaries() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log, options: LogOptions(segmentSize: 2048, durability: .never))
        var boundaries: [UInt64] = []
        var next: UInt64 = 0
        for size in [1, 7, 100, 3, 250, 1, 64] as [UInt64] {
            try log.append(tickRecords(next..<(next + size)))
            boundaries.append(next)
            next += size
        }
        let reader = try log.makeReader()
        for b in boundaries {
            for offset in [b == 0 ? 0 : b - 1, b, b + 1] where offset < next {
                let got = try reader.read(from: offset, limit: 2)
                #expect(got.first?.offset == offset)
                #expect(got.first?.record == tickRecord(offset))
            }
        }
        #expect(try reader.read(from: next, limit: 10).isEmpty)
        #expect(try reader.read(from: next - 1, limit: 10).count == 1)
    }

    @Test func timeLookupFindsTheFirstEventAtOrAfterATime() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log, options: LogOptions(segmentSize: 3000, durability: .never))
        for start in stride(from: UInt64(0), to: 5_000, by: 250) {
            try log.append(tickRecords(start..<(start + 250)))
        }
        let reader = try log.makeReader()
        for offset in [0, 1, 249, 250, 251, 2_999, 4_999] as [UInt64] {
            let time = tickRecord(offset).time
            #expect(try reader.offset(atOrAfter: time) == offset)
            #expect(try reader.offset(atOrAfter: Timestamp(rawValue: time.rawValue - 1)) == offset)
            #expect(try reader.read(fromTime: time, limit: 1).first?.offset == offset)
        }
        #expect(try reader.offset(atOrAfter: Timestamp(rawValue: .max)) == 5_000)
    }

    @Test func aScanForOneTypeSinceATimeFindsExactlyWhatAFullScanFilters() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log, options: LogOptions(segmentSize: 4096, durability: .never))
        var rng = SplitMix64(seed: 9)
        var next: UInt64 = 0
        for batch in 0..<400 {
            var records = tickRecords(next..<(next + 1 + rng.next() % 40))
            if batch % 7 == 0 {
                // Markers carry the time they were appended, while their ticks may be far older.
                let time = Timestamp(nanoseconds: tickRecord(next).time.rawValue + Int64(rng.next() % 3) * 50_000_000)
                let marker = TicksIngested(key: "k\(batch)", tickCount: UInt32(records.count), bodyHash: rng.next(),
                                           rejected: [.init(index: 3, message: "price is missing")])
                records.insert(Record(time: time, event: .ticksIngested(marker)), at: 0)
            }
            next += UInt64(try log.append(records).count)
        }
        let everything = try log.makeReader().read(from: 0, limit: .max)
        let markers = everything.filter { $0.event.type == .ticksIngested }
        #expect(markers.count == 58)
        for cutoff in [Timestamp.zero, markers[20].time, markers[57].time, Timestamp(rawValue: .max)] {
            let expected = markers.filter { $0.time >= cutoff }
            for reader in [try log.makeReader(), try LogReader(directory: dir.log)] {
                var found: [LogEntry] = []
                try reader.scan(only: .ticksIngested, since: cutoff) { found.append($0); return true }
                #expect(found == expected)
            }
        }
        var first: [LogEntry] = []
        try log.makeReader().scan(only: .ticksIngested, since: .zero, from: markers[3].offset + 1) { first.append($0); return false }
        #expect(first == [markers[4]])
    }

    @Test func concurrentAppendersShareGroupCommitsAndGetDistinctOffsets() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log)
        let ranges = try await withThrowingTaskGroup(of: [ClosedRange<UInt64>].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try (0..<25).map { _ in try log.append(tickRecords(0..<10)) }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let offsets = ranges.flatMap { Array($0) }.sorted()
        #expect(offsets == Array(0..<2_000))
        #expect(log.durableEnd == 2_000)
        #expect(log.acceptedEnd == 2_000)
    }

    @Test func durabilityPoliciesReportAcceptedAndDurableEnds() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log, options: LogOptions(durability: .interval(milliseconds: 5)))
        try log.append(tickRecords(0..<10))
        #expect(log.acceptedEnd == 10)
        // The flusher makes it durable without another append.
        #expect(log.waitForDurableEnd(beyond: 9, timeout: .seconds(5)) == 10)
        #expect(Durability(parsing: "interval:20") == .interval(milliseconds: 20))
        #expect(Durability(parsing: "sometimes") == nil)
    }

    @Test func aSecondWriterIsRefusedWithTheDirectoryAndHolderPID() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log)
        #expect(throws: LogError.locked(directory: dir.log, holderPID: getpid())) {
            try EventLog(directory: dir.log)
        }
        try log.close()
        _ = try EventLog(directory: dir.log)
    }

    @Test func aTailWakesOnAppendsInThisProcess() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log)
        let reader = try log.makeReader()
        let waiter = Task.detached { try reader.waitForEnd(beyond: 0, timeout: .seconds(10)) }
        try log.append(tickRecords(0..<5))
        #expect(try await waiter.value == 5)
        #expect(try reader.waitForEnd(beyond: 10, timeout: .milliseconds(20)) == 5)
    }

    @Test func retentionRemovesWholeSealedSegmentsOnly() throws {
        let dir = TemporaryDirectory()
        var options = LogOptions(segmentSize: 4096, durability: .never, retention: Retention(maxBytes: 20_000))
        options.indexInterval = 1024
        let log = try EventLog(directory: dir.log, options: options)
        for start in stride(from: UInt64(0), to: 20_000, by: 100) { try log.append(tickRecords(start..<(start + 100))) }
        let reader = try log.makeReader()
        let first = try reader.startOffset()
        #expect(first > 0)
        #expect(throws: LogError.offsetDeleted(requested: 0, firstRetained: first)) { try reader.read(from: 0, limit: 1) }
        #expect(try reader.read(from: first, limit: 1).first?.record == tickRecord(first))
        #expect(try reader.read(from: 19_999, limit: 1).first?.record == tickRecord(19_999))
    }

    @Test func aStockLZ4CLIDecodesEverySegment() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log, options: LogOptions(segmentSize: 8192, durability: .never))
        var batches: [[Record]] = []
        for start in stride(from: UInt64(0), to: 3_000, by: 150) {
            let records = tickRecords(start..<(start + 150))
            batches.append(records)
            try log.append(records)
        }
        var expected: [UInt8] = []
        for records in batches { expected += encodeFrame(records) }
        var decoded: [UInt8] = []
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir.log).filter { $0.hasSuffix(".seg") }.sorted()
        #expect(segments.count > 1)
        for segment in segments {
            let (catStatus, _) = try runProcess("/usr/bin/lz4", ["-d", "-q", "-f", dir.log + "/" + segment, dir.path + "/out"])
            #expect(catStatus == 0)
            decoded += try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.path + "/out")))
        }
        #expect(decoded == expected)
    }
}
