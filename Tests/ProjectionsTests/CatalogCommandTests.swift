import EventLog
import Foundation
import Projections
import Testing
import TapeTestSupport

/// The catalog end to end through the `tape` executable: real files, real SQLite, real LZ4.
@Suite(.serialized) struct CatalogCommandTests {
    @Test func importingTheFixtureGivesExactly96390ActiveInstrumentsAndReimportingAppendsNothing() throws {
        let dir = TemporaryDirectory()
        let data = dir.file("data")
        #expect(try runTape(["fixtures", "instruments", "--seed", "1", "--out", dir.file("active.csv")]).status == 0)
        #expect(try runTape(["fixtures", "instruments", "--seed", "1", "--expired", "--out", dir.file("expired.csv")]).status == 0)

        let first = try runTape(["import", "instruments", dir.file("expired.csv"), "--data", data])
        #expect(first.status == 0, "\(first.output)")
        let second = try runTape(["import", "instruments", dir.file("active.csv"), "--data", data])
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("96390 active instruments"))
        #expect(second.output.contains("listed 96390"))
        #expect(!second.output.contains("delisted 0,"), "the expired contracts leave through the second import")

        let again = try runTape(["import", "instruments", dir.file("active.csv"), "--data", data])
        #expect(again.output.contains("nothing appended"))
        #expect(again.output.contains("unchanged 96390"))

        // Counts straight from the projection: total, stats and a walk through every page agree.
        let log = try LogReader(directory: data + "/log")
        let catalog = InstrumentCatalog()
        let runner = ProjectionRunner(projection: catalog, log: log, databasePath: data + "/projections.sqlite")
        try runner.catchUp()
        #expect(catalog.snapshot.total(matching: CatalogFilter()) == 96_390)
        let stats = catalog.stats(today: CalendarDay(year: 2026, month: 11, day: 27))
        #expect(stats.totalActive == 96_390)
        #expect(stats.byExchange.values.reduce(0, +) == 96_390)
        #expect(stats.bySegment.values.reduce(0, +) == 96_390)
        #expect(stats.byInstrumentType.values.reduce(0, +) == 96_390)
        var seen = Set<UInt32>()
        var cursor: String? = nil
        repeat {
            let page = try catalog.page(matching: CatalogFilter(), after: cursor, limit: 1_000)
            #expect(page.total == 96_390)
            for record in page.instruments { #expect(seen.insert(record.token).inserted) }
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen.count == 96_390)
    }

    @Test func aRunnerKilledMidCatchUpResumesToTheSameHashAsARebuild() throws {
        let dir = TemporaryDirectory()
        let data = dir.file("data")
        do {
            let log = try EventLog(directory: data + "/log", options: LogOptions(durability: .never))
            var rng = SplitMix64(seed: 5)
            var listed: [UInt32] = []
            for chunk in 0..<40 {
                var records: [Record] = []
                for i in 0..<500 {
                    let n = UInt32(chunk * 500 + i)
                    let time = Timestamp(nanoseconds: Int64(n) * 1_000_000)
                    switch rng.next() % 10 {
                    case 0 where !listed.isEmpty:
                        records.append(Record(time: time, event: .instrumentDelisted(token: listed[Int(rng.next() % UInt64(listed.count))])))
                    default:
                        let token = UInt32(rng.next() % 15_000) + 1
                        listed.append(token)
                        records.append(Record(time: time, event: .instrumentListed(Instrument(
                            token: token, exchangeToken: token >> 8, tradingSymbol: "SYM\(token)", name: "NAME \(n % 97)",
                            expiry: nil, strike: 0, tickSize: 0.05, lotSize: 1, instrumentType: "EQ",
                            segment: n % 2 == 0 ? "NSE" : "BSE", exchange: n % 2 == 0 ? "NSE" : "BSE"))))
                    }
                }
                try log.append(records)
            }
            try log.close()
        }
        var rng = SplitMix64(seed: 11)
        for _ in 0..<5 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: tapeExecutable)
            child.arguments = ["debug-catch-up", "--data", data, "--batch", "50"]
            child.standardOutput = FileHandle.nullDevice
            try child.run()
            usleep(useconds_t(50_000 + rng.next() % 400_000))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
        }
        let resumed = try runTape(["debug-catch-up", "--data", data, "--batch", "50"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let rebuilt = try runTape(["rebuild", "--data", data])
        #expect(rebuilt.status == 0, "\(rebuilt.output)")
        let resumedHash = try #require(printedHash(resumed.output))
        #expect(resumedHash == printedHash(rebuilt.output))
        let rebuiltAgain = try runTape(["rebuild", "--data", data])
        #expect(printedHash(rebuiltAgain.output) == resumedHash)

        // And the same as folding the log in this process.
        let catalog = InstrumentCatalog()
        let runner = ProjectionRunner(projection: catalog, log: try LogReader(directory: data + "/log"),
                                      databasePath: dir.file("fresh.sqlite"))
        try runner.catchUp()
        #expect(catalog.contentHash() == resumedHash)
    }

    @Test func aBadRowIsReportedWithItsLineWhileGoodRowsImport() throws {
        let dir = TemporaryDirectory()
        let csv = """
        instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
        408065,1594,INFY,"INFOSYS",0,,0,0.05,1,EQ,NSE,NSE
        nope,1,BAD,"BAD",0,,0,0.05,1,EQ,NSE,NSE
        884737,3456,TATAMOTORS,"TATA MOTORS",0,,0,0.05,1,EQ,NSE,NSE

        """
        try Data(csv.utf8).write(to: URL(fileURLWithPath: dir.file("mixed.csv")))
        let result = try runTape(["import", "instruments", dir.file("mixed.csv"), "--data", dir.file("data")])
        #expect(result.status == 1)
        #expect(result.output.contains("mixed.csv: line 3: instrument_token"))
        #expect(result.output.contains("listed 2"))
        #expect(result.output.contains("rejected 1"))
    }
}
