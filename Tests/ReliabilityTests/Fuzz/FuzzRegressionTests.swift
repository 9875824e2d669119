import EventLog
import Foundation
import Glibc
import Testing
@testable import EventLog
@testable import Gateway

/// Inputs the fuzzers found, kept so that the fixes stay fixed.
@Suite struct FuzzRegressionTests {
    /// A request line over the 64-byte limit that ends in a bare LF: it failed 414 when it arrived in pieces and 400 when
    /// it arrived whole; the same bytes must fail the same way however TCP splits them.
    @Test func anOverlongLineWithABareLineFeedFailsTheSameWayWholeOrInPieces() throws {
        let input = try #require(Data(base64Encoded: "DQpHRVQgaHR0cDovL2V4YW1wbGUuY29tL3F1b3Rlcy80MDgwNjU/eD0lNDElenogSFRUUC8xODQ0Njc0NDA3MzcwOTU1MTYxNi4wDUNvbnRlbnQtTGVuZ3RoOiAKDQo="))
        let limits = HTTPRequestParserFuzzTests.smallLimits
        let whole = try HTTPRequestParserFuzzTests.parse(Array(input), limits: limits, chunks: [])
        let split = try HTTPRequestParserFuzzTests.parse(Array(input), limits: limits, chunks: Array(repeating: 3, count: input.count))
        #expect(whole == split)
        #expect(whole.count == 1)
        if case .failure(let error)? = whole.first { #expect(error.code == "request_line_too_long") } else { Issue.record("no failure: \(whole)") }
    }

    /// A batch header with a valid checksum that announces 4 GiB of records behind a 200-byte frame made the reader
    /// allocate all of it (17 s and 4 GiB per batch); it is damage, reported without allocating.
    @Test func aHeaderAnnouncingMoreThanLZ4CanExpandIsDamage() throws {
        let directory = makeTemporaryDirectory("tape-fuzz-regression")
        defer { removeDirectory(directory) }
        var batch = EventCodecFuzzTests.batchSeeds[0]
        for k in 0..<4 { batch[44 + k] = 0xFF }  // raw length, the last field before the CRC
        let file = try File(path: directory + "/00000000000000000000.seg", flags: O_RDWR | O_CREAT)
        try file.write(EventCodecFuzzTests.resealingHeader(batch), at: 0)
        let reader = SegmentReader(file: file, baseOffset: 0)
        guard case .damaged(let reason) = try reader.slot(at: 0, fileSize: try file.size()) else {
            Issue.record("a 4 GiB raw length behind a small frame was accepted")
            return
        }
        #expect(reason.contains("4294967295 raw bytes"))
    }
}
