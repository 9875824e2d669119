import Dispatch
import EventLog
import Foundation
import Glibc
import Testing
@testable import Services

/// Ingest against a real log: appends, durability, and idempotency across threads and restarts.
@Suite struct TickIngestServiceTests {
    let directory = TickerDirectory()
    let clock = RequestClock()

    func openService(_ options: LogOptions = LogOptions()) throws -> TickIngestService {
        try openIngestService(in: directory, clock: clock, options: options)
    }

    static let body = Array("""
        [{"token": 408065, "price": 1523.45, "volume": 120, "time": 1764300000.125},
         {"token": 999, "price": 1, "volume": 1},
         {"token": 412675, "price": 88.2525, "volume": 2}]
        """.utf8)

    @Test func aRequestWithoutAKeyAppendsItsValidTicksAndAnswersDurably() throws {
        let service = try openService()
        let first = try service.ingest(body: Self.body)
        #expect(first == IngestResult(firstOffset: 0, lastOffset: 1, accepted: 2, isDurable: true,
                                      rejected: [.init(index: 1, message: "token 999 is not in the catalog")], isReplay: false))
        #expect(first.json == #"{"first_offset":0,"last_offset":1,"accepted":2,"durable":true,"rejected":[{"index":1,"error":"token 999 is not in the catalog"}]}"#)
        #expect(first.httpStatus == 200)
        // Without a key a retry is a new request.
        #expect(try service.ingest(body: Self.body).firstOffset == 2)
        #expect(service.log.acceptedEnd == 4)
    }

    @Test func aRetryWithTheSameKeyGetsTheSameAnswerAndAppendsNothing() throws {
        let service = try openService()
        let first = try service.ingest(body: Self.body, idempotencyKey: "order-42")
        // The marker comes first, the ticks right after it.
        #expect(first.firstOffset == 1 && first.lastOffset == 2 && first.accepted == 2 && first.isDurable && !first.isReplay)
        let entries = try service.log.makeReader().read(from: 0, limit: 10)
        #expect(entries.count == 3)
        #expect(entries[0].event == .ticksIngested(TicksIngested(key: "order-42", tickCount: 2, bodyHash: entries[0].marker!.bodyHash,
                                                                 rejected: first.rejected)))
        #expect(entries[0].time == TickerFixtures.receivedAt)

        clock.advance(seconds: 3_600)
        let again = try service.ingest(body: Self.body, idempotencyKey: "order-42")
        #expect(again.isReplay)
        #expect(again.json == first.json)
        #expect(service.log.acceptedEnd == 3)
    }

    @Test func aKeyReusedForAnotherBodyIsRefusedAndAppendsNothing() throws {
        let service = try openService()
        _ = try service.ingest(body: Self.body, idempotencyKey: "k1")
        let other = Array(#"[{"token": 408065, "price": 1, "volume": 1}]"#.utf8)
        #expect(throws: TickIngestError.idempotencyKeyReused(key: "k1")) { try service.ingest(body: other, idempotencyKey: "k1") }
        #expect(TickIngestError.idempotencyKeyReused(key: "k1").httpStatus == 422)
        #expect(service.log.acceptedEnd == 3)
    }

    @Test func aRequestWhoseItemsAreAllRejectedIsRememberedUnderItsKey() throws {
        let service = try openService()
        let body = Array(#"[{"token": 999, "price": 1, "volume": 1}]"#.utf8)
        let first = try service.ingest(body: body, idempotencyKey: "bad")
        #expect(first.firstOffset == nil && first.lastOffset == nil && first.accepted == 0 && first.httpStatus == 422)
        #expect(first.json == #"{"first_offset":null,"last_offset":null,"accepted":0,"durable":true,"rejected":[{"index":0,"error":"token 999 is not in the catalog"}]}"#)
        #expect(try service.ingest(body: body, idempotencyKey: "bad").json == first.json)
        #expect(service.log.acceptedEnd == 1, "just the marker")
        // Without a key nothing at all is appended.
        #expect(try service.ingest(body: body).accepted == 0)
        #expect(service.log.acceptedEnd == 1)
    }

    @Test(arguments: [
        ("", "is empty"),
        ("has space", "has a character that is not printable ASCII"),
        ("ключ", "has a character that is not printable ASCII"),
        (String(repeating: "k", count: 256), "has 256 characters"),
    ])
    func badKeysAreRefusedBeforeAnythingIsRead(key: String, reason: String) throws {
        let service = try openService()
        #expect(throws: TickIngestError.invalidIdempotencyKey(reason)) { try service.ingest(body: Self.body, idempotencyKey: key) }
        #expect(service.log.acceptedEnd == 0)
    }

    @Test func aBodyRefusedWholeIsNotRememberedSoItsFixedRetryGoesThrough() throws {
        let service = try openService()
        #expect(throws: TickIngestError.malformedJSON(line: 1, column: 2, reason: "expected a value, found the end")) {
            try service.ingest(body: Array("[".utf8), idempotencyKey: "k")
        }
        #expect(try service.ingest(body: Self.body, idempotencyKey: "k").accepted == 2)
    }

    @Test func concurrentRequestsWithOneKeyAppendOnceAndAllGetTheSameAnswer() throws {
        let service = try openService()
        let answers = Monitor<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let result = try! service.ingest(body: Self.body, idempotencyKey: "same")
            answers.update { $0.append(result.json) }
        }
        let all = answers.withLock { $0 }
        #expect(all.count == 16)
        #expect(Set(all).count == 1)
        #expect(service.log.acceptedEnd == 3)
    }

    @Test func theAnswerSurvivesARestartAndTheRetryLeavesTheLogUnchanged() throws {
        var first: IngestResult
        do {
            let service = try openService()
            _ = try service.ingest(body: Array(#"[{"token": 408065, "price": 1, "volume": 1}]"#.utf8))  // offsets before ours
            first = try service.ingest(body: Self.body, idempotencyKey: "restart-me")
            try service.log.close()
        }
        let segment = directory.log + "/" + SegmentName.segment(0)
        let before = try #require(FileManager.default.contents(atPath: segment))
        clock.advance(seconds: 23 * 3_600)
        let reopened = try openService()
        #expect(reopened.index.count == 1)
        let again = try reopened.ingest(body: Self.body, idempotencyKey: "restart-me")
        #expect(again.json == first.json)
        #expect(again.firstOffset == 2 && again.lastOffset == 3)
        #expect(again.isReplay)
        #expect(reopened.log.acceptedEnd == 4)
        try reopened.log.close()
        #expect(FileManager.default.contents(atPath: segment) == before)
    }

    @Test func aTornAppendLosesTheMarkerWithItsTicksSoTheRetryAppendsThemOnce() throws {
        do {
            let service = try openService()
            _ = try service.ingest(body: Self.body, idempotencyKey: "torn")
            try service.log.close()
        }
        // Cut the batch short, as a crash during its write would.
        let segment = directory.log + "/" + SegmentName.segment(0)
        #expect(truncate(segment, off_t(try #require(FileManager.default.contents(atPath: segment)).count - 3)) == 0)
        let reopened = try openService()
        #expect(reopened.log.recovery.droppedEvents == 3)
        #expect(reopened.index.count == 0)
        let retry = try reopened.ingest(body: Self.body, idempotencyKey: "torn")
        #expect(!retry.isReplay)
        #expect(retry.firstOffset == 1 && retry.lastOffset == 2)
        var markers = 0
        try reopened.log.makeReader().scan(only: .ticksIngested, since: .zero) { _ in markers += 1; return true }
        #expect(markers == 1)
    }

    @Test func keysExpireADayAfterTheirFirstRequestInMemoryAndOnRebuild() throws {
        do {
            let service = try openService()
            _ = try service.ingest(body: Self.body, idempotencyKey: "old")
            clock.advance(seconds: 24 * 3_600)
            #expect(try service.ingest(body: Self.body, idempotencyKey: "old").isReplay, "exactly 24 h later it still counts")
            clock.advance(seconds: 1)
            let renewed = try service.ingest(body: Self.body, idempotencyKey: "old")
            #expect(!renewed.isReplay)
            #expect(renewed.firstOffset == 4)
            try service.log.close()
        }
        clock.advance(seconds: 24 * 3_600 + 1)
        let reopened = try openService()
        #expect(reopened.index.count == 0)
        #expect(try !reopened.ingest(body: Self.body, idempotencyKey: "old").isReplay)
    }

    @Test func withIntervalDurabilityTheAnswerWaitsForTheBackgroundSync() throws {
        let service = try openService(LogOptions(durability: .interval(milliseconds: 20)))
        let result = try service.ingest(body: Self.body, idempotencyKey: "interval")
        #expect(result.isDurable)
        #expect(service.log.durableEnd >= 3)
    }

    @Test func anAnswerThatCannotWaitForTheSyncSaysItIsNotDurableYet() throws {
        let service = try openService(LogOptions(durability: .interval(milliseconds: 60_000)))
        let result = try service.ingest(body: Self.body, idempotencyKey: "slow", durabilityTimeout: .zero)
        #expect(!result.isDurable)
        #expect(result.firstOffset == 1)
        try service.log.close()  // syncs
        #expect(try service.ingest(body: Self.body, idempotencyKey: "slow").isDurable)
    }

    @Test func aClosedLogIsUnavailableAndTheKeyStaysFreeForTheRetry() throws {
        let service = try openService()
        try service.log.close()
        #expect(throws: TickIngestError.logUnavailable("the log is closed")) { try service.ingest(body: Self.body, idempotencyKey: "k") }
        #expect(service.index.entry(for: "k", now: clock.now()) == nil)
        #expect(TickIngestError.logUnavailable("").httpStatus == 503)
    }
}

private extension LogEntry {
    var marker: TicksIngested? {
        if case .ticksIngested(let marker) = event { marker } else { nil }
    }
}
