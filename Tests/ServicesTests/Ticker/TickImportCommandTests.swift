import EventLog
import Foundation
import Testing
import TapeTestSupport

/// `tape import ticks` as a user runs it: the real executable, a real data directory.
@Suite(.serialized) struct TickImportCommandTests {
    let directory = TickerDirectory()
    var data: String { directory.file("data") }

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory.file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A catalog of two instruments: offsets 0 and 1.
    func importInstruments() throws {
        let csv = try write("instruments.csv", """
            instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
            408065,1594,INFY,"INFOSYS",0,,0,0.05,1,EQ,NSE,NSE
            412675,1612,USDINR26DECFUT,"USDINR",0,2026-12-29,0,0.0025,1,FUT,CDS-FUT,CDS

            """)
        let result = try runTape(["import", "instruments", csv, "--data", data])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func csvTicksAreAppendedBadLinesNamedAndTheExitSaysSomeWereRejected() throws {
        try importInstruments()
        let ticks = try write("ticks.csv", """
            token,price,volume,time,oi,bid,ask
            408065,1523.45,120,1764300000.125,,,
            999,1,1,1764300000,,,
            412675,88.2525,2,1764300001,5000,88.25,88.255
            408065,1523.456,1,1764300002,,,
            408065,1523.5,7,1764300003,,,

            """)
        let result = try runTape(["import", "ticks", ticks, "--data", data])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("\(ticks): line 3: token 999 is not in the catalog\n"))
        #expect(result.output.contains("\(ticks): line 5: price 1523.456 has more than 2 decimals, the most tick size 0.05 allows\n"))
        #expect(result.output.contains("imported 3 ticks from \(ticks) (csv), rejected 2 lines; offsets 2...4;"))

        let dump = try runTape(["dump", "--data", data, "--type", "tick"])
        #expect(dump.status == 0)
        #expect(dump.output == """
            {"offset":2,"type":"tick","time":1764300000.125,"token":408065,"price":1523.45,"volume":120}
            {"offset":3,"type":"tick","time":1764300001,"token":412675,"price":88.2525,"volume":2,"oi":5000,"bid":88.25,"ask":88.255}
            {"offset":4,"type":"tick","time":1764300003,"token":408065,"price":1523.5,"volume":7}

            """)
    }

    @Test func ndjsonWithSkipBadExitsZeroAndStillReportsTheBadLine() throws {
        try importInstruments()
        let ticks = try write("ticks.ndjson", """
            {"token": 408065, "price": 1523.45, "volume": 120, "time": 1764300000.125}
            {"token": 408065, "price": "x", "volume": 1}
            {"token": 412675, "price": 88.2525, "volume": 2, "time": 1764300001}
            """)
        let result = try runTape(["import", "ticks", ticks, "--data", data, "--skip-bad", "--batch", "1"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(#"\#(ticks): line 2: price must be a number, got a string "x""#))
        #expect(result.output.contains("imported 2 ticks from \(ticks) (ndjson), rejected 1 lines; offsets 2...3;"))
        let verify = try runTape(["verify", "--data", data])
        #expect(verify.output.contains("1 segments, 3 batches, 4 events"), "one batch of instruments, then one per tick (--batch 1): \(verify.output)")
    }

    @Test func aFileThatCannotBeImportedExitsWithADataError() throws {
        try importInstruments()
        let ticks = try write("ticks.csv", "token,price,volume\n408065,1,1\n")
        let result = try runTape(["import", "ticks", ticks, "--data", data])
        #expect(result.status == 65)
        #expect(result.output.contains("the header lacks time"))
        let missing = try runTape(["import", "ticks", directory.file("nope.csv"), "--data", data])
        #expect(missing.status == 65)
        #expect(missing.output.contains("nope.csv: cannot read: No such file or directory"))
        let usage = try runTape(["import", "ticks", "--data", data])
        #expect(usage.status == 64)
    }
}
