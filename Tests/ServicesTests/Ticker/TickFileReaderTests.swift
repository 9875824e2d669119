import EventLog
import Foundation
import Testing
@testable import Services

@Suite struct TickFileReaderTests {
    let directory = TickerDirectory()

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory.file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func readAll(_ path: String, chunkBytes: Int = 4 << 20) throws -> (records: [Record], rejected: [TickFileReader.LineRejection], format: TickFileReader.Format) {
        let reader = try TickFileReader(path: path, instruments: TickerFixtures.catalog, receivedAt: TickerFixtures.receivedAt,
                                        chunkBytes: chunkBytes)
        var records: [Record] = []
        var rejected: [TickFileReader.LineRejection] = []
        while let chunk = try reader.next() {
            records += chunk.records
            rejected += chunk.rejected
        }
        return (records, rejected, reader.format)
    }

    @Test func csvColumnsAreFoundByNameAndBadLinesKeepTheirNumbers() throws {
        let path = try write("ticks.csv", """
            \u{FEFF}
            time,token,volume,price,bid,ask,oi
            1764300000.125,408065,120,1523.45,,,
            1764300000,999,1,1,,,
            1764300001,412675,2,88.2525,88.25,88.255,5000
            1764300002,"408065",7,1523.5,1523.45,1523.55,\r
            1764300003,408065,1
            oops,408065,x,1,,,

            """)
        let (records, rejected, format) = try readAll(path)
        #expect(format == .csv)
        #expect(records == [
            Record(time: Timestamp(rawValue: 1_764_300_000_125_000_000), event: .tick(Tick(token: 408_065, price: 152_345, volume: 120))),
            Record(time: Timestamp(seconds: 1_764_300_001), event: .tick(Tick(token: 412_675, price: 882_525, decimals: 4, volume: 2,
                                                                               openInterest: 5_000, bid: 882_500, ask: 882_550))),
            Record(time: Timestamp(seconds: 1_764_300_002), event: .tick(Tick(token: 408_065, price: 152_350, volume: 7,
                                                                               bid: 152_345, ask: 152_355))),
        ])
        #expect(rejected.map(\.description) == [
            "line 4: token 999 is not in the catalog",
            "line 7: has 3 fields, the header has 7",
            #"line 8: volume must be a whole number, got "x"; time must be Unix seconds (a number), got "oops""#,
        ])
    }

    @Test func ndjsonIsDetectedByItsFirstByteAndTakesDelistedInstruments() throws {
        let path = try write("ticks.txt", """

            {"token": 408065, "price": 1523.45, "volume": 120, "time": 1764300000.125}
            {"token": 738561, "price": 10, "volume": 1, "time": 1764300000}
            {"token": 408065, "price": 1523.45, "volume": 120,
            """)
        let (records, rejected, format) = try readAll(path)
        #expect(format == .ndjson)
        #expect(records.count == 2, "the delisted OLDCO is history, and history imports")
        #expect(rejected == [.init(line: 4, message: "not valid JSON at column 51: expected a field name in quotes, found the end")])
    }

    @Test func smallChunksSplitOnlyBetweenRecordsAndKeepLineNumbersExact() throws {
        var csv = "token,price,volume,time\n"
        var line = 1
        var expectedBad: [Int] = []
        var good = 0
        for row in 0..<5_000 {
            line += 1
            if row % 97 == 0 {
                csv += "408065,1523.456,1,1764300000\n"
                expectedBad.append(line)
            } else if row % 7 == 0 {
                csv += "\"408\n065\",1,1,1764300000\n"  // a quoted line break: one record on two lines
                expectedBad.append(line)
                line += 1
            } else {
                csv += "408065,\(row).05,\(row),1764300000\n"
                good += 1
            }
        }
        let path = try write("many.csv", csv)
        let whole = try readAll(path)
        let chunked = try readAll(path, chunkBytes: 1_024)
        #expect(chunked.records == whole.records)
        #expect(chunked.rejected == whole.rejected)
        #expect(whole.rejected.map(\.line) == expectedBad)
        #expect(whole.records.count == good)
        #expect(whole.rejected.contains { $0.message == #"token must be an instrument_token (a whole number), got "408\n065""# })
    }

    @Test(arguments: [
        ("token,price,volume\n1,1,1\n", "lacks time; required: token, price, volume, time"),
        ("token,price,volume,time,vol\n", #"header column "vol" is not a tick field"#),
        ("token,price,volume,time,price\n", #"header column "price" appears twice"#),
        ("\n\n", "no header line"),
    ])
    func aCSVHeaderThatCannotWorkRefusesTheFile(text: String, message: String) throws {
        let path = try write("bad.csv", text)
        #expect {
            _ = try readAll(path)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func aMissingFileSaysSo() {
        #expect(throws: TickFileError.unreadable(path: directory.file("none.csv"), reason: "No such file or directory")) {
            _ = try readAll(directory.file("none.csv"))
        }
    }
}
