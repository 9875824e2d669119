import Foundation
import Glibc
import Testing
@testable import EventLog

/// A reader of the writer's own process takes the writer's index of the open segment instead of
/// reading every batch header of it again: the server's start, each `GET /replay` and each
/// replay session make one.
@Suite struct WrittenIndexTests {
    @Test func theWritersIndexOfTheOpenSegmentIsWhatAScanOfItFinds() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log, options: LogOptions(durability: .never))
        var next: UInt64 = 0
        for size in (0..<3_000).map({ UInt64(1 + $0 % 3) }) {
            try log.append(tickRecords(next..<(next + size)))
            next += size
        }
        let written = try #require(log.writtenIndex(ofSegment: 0))
        #expect(written.entries.count > 10)
        #expect(log.writtenIndex(ofSegment: 1) == nil)

        let file = try File(path: dir.log + "/" + SegmentName.segment(0), flags: O_RDONLY)
        let scanned = try EventLog.scanIndex(SegmentReader(file: file, baseOffset: 0), size: written.coveredLength,
                                             interval: written.interval, isLast: true)
        #expect(written == scanned)

        // A reader made now finds every batch through it, and what is appended after it was made.
        let reader = try log.makeReader()
        for offset in [0, 1, 2, 3, 2_999, 3_000, next / 2, next - 1] {
            #expect(try reader.read(from: offset, limit: 1).first?.record == tickRecord(offset))
        }
        try log.append(tickRecords(next..<(next + 5)))
        #expect(try reader.read(from: next, limit: 10).map(\.offset) == Array(next..<(next + 5)))
    }
}
