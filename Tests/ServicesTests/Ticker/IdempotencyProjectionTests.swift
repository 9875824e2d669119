import EventLog
import Foundation
import Projections
import Testing
@testable import Services

/// The `idempotency` projection over real logs written by `TickIngestService`, in real SQLite.
@Suite struct IdempotencyProjectionTests {
    let directory = TickerDirectory()
    let clock = RequestClock()
    static let hour: Int64 = 3_600

    func openService() throws -> TickIngestService {
        try openIngestService(in: directory, clock: clock, options: LogOptions(durability: .never))
    }

    /// A request body with one tick of `volume`, so that different volumes are different bodies.
    static func body(volume: Int) -> [UInt8] { Array(#"[{"token": 408065, "price": 1523.45, "volume": \#(volume)}]"#.utf8) }

    func runner(_ projection: IdempotencyProjection, database: String, batchSize: Int = 10_000) throws -> ProjectionRunner {
        ProjectionRunner(projection: projection, log: try LogReader(directory: directory.log), databasePath: directory.file(database),
                         batchSize: batchSize)
    }

    @Test func itHoldsTheLatestMarkerOfEachKeyWithinADayOfTheNewest() throws {
        var renewed: IngestResult
        do {
            let service = try openService()
            _ = try service.ingest(body: Self.body(volume: 1), idempotencyKey: "a")
            _ = try service.ingest(body: Self.body(volume: 2), idempotencyKey: "b")
            clock.advance(seconds: 23 * Self.hour)
            _ = try service.ingest(body: Self.body(volume: 3), idempotencyKey: "c")
            clock.advance(seconds: Self.hour + 1)
            // `a` expired a second ago: the same key is a new request, with a marker of its own.
            renewed = try service.ingest(body: Self.body(volume: 4), idempotencyKey: "a")
            #expect(!renewed.isReplay)
            try service.log.close()
        }
        let projection = IdempotencyProjection()
        let end = try runner(projection, database: "p.sqlite").catchUp()
        let (entries, next) = projection.keys(at: clock.now())
        #expect(next == end)
        #expect(entries.map(\.marker.key) == ["c", "a"])
        let renewedAt = try #require(renewed.firstOffset)
        #expect(entries.last?.markerOffset == renewedAt - 1)
        #expect(entries.last?.marker.bodyHash != entries.first?.marker.bodyHash)

        // The rows say the same: `b` (and the first `a`) are gone from SQLite too.
        let db = try Database(path: directory.file("p.sqlite"))
        let select = try db.prepare("SELECT key, marker_offset FROM idempotency_keys ORDER BY marker_offset")
        var rows: [String] = []
        while try select.step() { rows.append(select.string(at: 0) ?? "") }
        #expect(rows == ["c", "a"])

        // Asked a day after the newest marker, nothing is left.
        clock.advance(seconds: 24 * Self.hour + 1)
        #expect(projection.keys(at: clock.now()).entries.isEmpty)
    }

    /// Three days of requests, a key every 90 minutes, some keys reused for new bodies once expired.
    func writeThreeDays() throws -> UInt64 {
        let service = try openService()
        defer { try? service.log.close() }
        for i in 0..<48 {
            _ = try service.ingest(body: Self.body(volume: i), idempotencyKey: "k\(i % 20)")
            _ = try service.ingest(body: Array(#"[{"token": 999, "price": 1, "volume": 1}]"#.utf8), idempotencyKey: "rejected-\(i)")
            clock.advance(seconds: 90 * 60)
        }
        return service.log.acceptedEnd
    }

    @Test(arguments: [1, 7, 1_000])
    func resumedFromItsRowsAtAnyPointItHashesAsARebuild(batchSize: Int) throws {
        let end = try writeThreeDays()
        let rebuilt = IdempotencyProjection()
        try runner(rebuilt, database: "rebuilt.sqlite").rebuild()

        for stop in stride(from: end / 5, to: end, by: Int(end / 5)) + [end] {
            let first = IdempotencyProjection()
            try runner(first, database: "resumed-\(stop).sqlite", batchSize: batchSize).catchUp(to: stop)
            let resumed = IdempotencyProjection()
            #expect(try runner(resumed, database: "resumed-\(stop).sqlite", batchSize: batchSize).catchUp() == end)
            #expect(resumed.contentHash() == rebuilt.contentHash(), "resumed at \(stop) in batches of \(batchSize)")
            #expect(resumed.keys(at: clock.now()).entries == rebuilt.keys(at: clock.now()).entries)
        }
        #expect(rebuilt.keys(at: clock.now()).entries.count > 10)
    }

    @Test func memoryForgetsExpiredKeysAsTheLogMovesOn() throws {
        _ = try writeThreeDays()
        let projection = IdempotencyProjection()
        try runner(projection, database: "p.sqlite", batchSize: 1).rebuild()
        // 68 keys over three days, two every 90 minutes: the last 24 h hold 34, and memory may lag an hour more (2 or 4 keys).
        #expect(projection.keys(at: clock.now()).entries.count <= 34)
        #expect(projection.keysInMemory <= 38, "\(projection.keysInMemory) keys in memory")
    }

    @Test func theIndexFromTheCheckpointAndTheLogPastItEqualsAFullScan() throws {
        let end = try writeThreeDays()
        let projection = IdempotencyProjection()
        let checkpoint = try runner(projection, database: "p.sqlite").catchUp(to: end * 2 / 3)
        let (entries, next) = projection.keys(at: clock.now())
        #expect(next == checkpoint)

        let reader = try LogReader(directory: directory.log)
        let loaded = IdempotencyIndex()
        try loaded.load(entries, thenScan: reader, from: next, now: clock.now())
        let scanned = try IdempotencyIndex(log: reader, now: clock.now())
        #expect(loaded.count == scanned.count)
        let keys = (0..<20).map { "k\($0)" } + (0..<48).map { "rejected-\($0)" }
        var found = 0
        for key in keys {
            #expect(loaded.entry(for: key, now: clock.now()) == scanned.entry(for: key, now: clock.now()), "\(key)")
            if scanned.entry(for: key, now: clock.now()) != nil { found += 1 }
        }
        #expect(found > 10 && found < keys.count)
    }
}
