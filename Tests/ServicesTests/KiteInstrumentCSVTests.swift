import EventLog
import Testing
@testable import Services

struct KiteInstrumentCSVTests {
    static let header = KiteInstrumentCSV.columns.joined(separator: ",")

    @Test(.enabled(if: KiteSampleFiles.isPresent, KiteSampleFiles.absentMessage))
    func realNFODumpParsesEveryRowWithTheDocumentedMix() throws {
        let result = try KiteInstrumentCSV.parse(contentsOfFile: KiteSampleFiles.path("instruments_nfo_2026-08.csv"))
        #expect(result.errors == [])
        #expect(result.rows.count == 34_950)
        var byType: [String: Int] = [:]
        for row in result.rows { byType[row.instrument.instrumentType, default: 0] += 1 }
        #expect(byType == ["PE": 17_205, "CE": 17_108, "FUT": 637])
        let first = try #require(result.rows.first)
        #expect(first.line == 2)
        #expect(first.instrument == Instrument(
            token: 14_866_434, exchangeToken: 58_072, tradingSymbol: "NIFTY26AUGFUT", name: "NIFTY",
            expiry: CalendarDay(year: 2026, month: 8, day: 25), strike: 0, tickSize: 0.1, lotSize: 65,
            instrumentType: "FUT", segment: "NFO-FUT", exchange: "NFO"))
        #expect(result.rows.last?.line == 34_951)
        #expect(Set(result.rows.map(\.instrument.token)).count == 34_950)
    }

    @Test(.enabled(if: KiteSampleFiles.isPresent, KiteSampleFiles.absentMessage))
    func realCRLFSampleParsesWithoutCarriageReturnsInValues() throws {
        let result = try KiteInstrumentCSV.parse(contentsOfFile: KiteSampleFiles.path("instruments_mixed_sample_crlf.csv"))
        #expect(result.errors == [])
        #expect(result.rows.count == 99)
        #expect(result.rows.allSatisfy { !$0.instrument.exchange.contains("\r") })
        #expect(Set(result.rows.map(\.instrument.exchange)) == ["NSE", "NFO", "BSE"])
        let option = try #require(result.rows.first { $0.instrument.tradingSymbol == "BANKNIFTY18JAN23500CE" })
        #expect(option.instrument.name == "")
        #expect(option.instrument.strike == 23_500)
        #expect(option.instrument.expiry == CalendarDay(iso: "2018-01-25"))
        let equity = try #require(result.rows.first { $0.instrument.tradingSymbol == "ADANIPORTS" })
        #expect(equity.instrument.expiry == nil)
        #expect(equity.instrument.name == "ADANI PORT & SEZ")
    }

    @Test(.enabled(if: KiteSampleFiles.isPresent, KiteSampleFiles.absentMessage))
    func realDumpsRoundTripThroughTheWriter() throws {
        for file in ["instruments_nfo_2026-08.csv", "instruments_mixed_sample_crlf.csv"] {
            let original = try KiteInstrumentCSV.parse(contentsOfFile: KiteSampleFiles.path(file)).instruments
            let again = try KiteInstrumentCSV.parse(KiteInstrumentCSV.encode(original)).instruments
            #expect(again == original, "\(file)")
        }
    }

    @Test func rawAPIAndPandasFormsReadAsTheSameInstrument() throws {
        let raw = Self.header + "\n" + #"408065,1594,INFY,"INFOSYS",0,,0,0.05,1,EQ,NSE,NSE"# + "\n"
        let pandas = Self.header + "\r\n" + "408065,1594,INFY,INFOSYS,0.0,,0.0,0.05,1.0,EQ,NSE,NSE\r\n\r\n\r\n"
        let rawRows = try KiteInstrumentCSV.parse(raw)
        let pandasRows = try KiteInstrumentCSV.parse(pandas)
        #expect(rawRows.errors == [] && pandasRows.errors == [])
        #expect(rawRows.instruments == pandasRows.instruments)
        #expect(rawRows.instruments.count == 1)
    }

    @Test func quotedNamesKeepCommasAndDoubledQuotes() throws {
        let text = Self.header + "\n"
            + #"1,1,ABC,"ALPHA, BETA ""GAMMA"" LTD",0,,0,0.05,1,EQ,NSE,NSE"# + "\n"
            + "2,2,\"DEF\",\"MULTI\nLINE\",0,,0,0.05,1,EQ,NSE,NSE\n"
            + "3,3,GHI,PLAIN,0,,0,0.05,1,EQ,NSE,NSE\n"
        let result = try KiteInstrumentCSV.parse(text)
        #expect(result.errors == [])
        #expect(result.instruments.map(\.name) == [#"ALPHA, BETA "GAMMA" LTD"#, "MULTI\nLINE", "PLAIN"])
        #expect(result.rows.map(\.line) == [2, 3, 5])
    }

    @Test func byteOrderMarkReorderedAndExtraColumnsAreAccepted() throws {
        let text = "\u{FEFF},exchange,segment,instrument_type,lot_size,tick_size,strike,expiry,name,tradingsymbol,exchange_token,instrument_token,note\n"
            + "0,NFO,NFO-OPT,CE,65,0.05,24500.0,2026-12-29,NIFTY,NIFTY26DEC24500CE,12345,3160322,x\n"
        let result = try KiteInstrumentCSV.parse(text)
        #expect(result.errors == [])
        let instrument = try #require(result.instruments.first)
        #expect(instrument.token == 3_160_322)
        #expect(instrument.tradingSymbol == "NIFTY26DEC24500CE")
        #expect(instrument.strike == 24_500)
        #expect(instrument.expiry == CalendarDay(year: 2026, month: 12, day: 29))
    }

    @Test func olderIndexSegmentNameIsNormalized() throws {
        let text = Self.header + "\n" + #"256265,1001,NIFTY 50,"NIFTY 50",0,,0,0,0,EQ,NSE-INDICES,NSE"# + "\n"
        #expect(try KiteInstrumentCSV.parse(text).instruments.first?.segment == "INDICES")
    }

    @Test(arguments: [
        ("12a,1,X,\"X\",0,,0,0.05,1,EQ,NSE,NSE", InstrumentRowError.Reason.badInteger(column: "instrument_token", value: "12a")),
        ("99999999999,1,X,\"X\",0,,0,0.05,1,EQ,NSE,NSE", .badInteger(column: "instrument_token", value: "99999999999")),
        (",1,X,\"X\",0,,0,0.05,1,EQ,NSE,NSE", .missingValue(column: "instrument_token")),
        ("7,1,X,\"X\",0,2026-02-30,0,0.05,1,EQ,NSE,NSE", .badDate(column: "expiry", value: "2026-02-30")),
        ("7,1,X,\"X\",0,29/12/2026,0,0.05,1,EQ,NSE,NSE", .badDate(column: "expiry", value: "29/12/2026")),
        ("7,1,X,\"X\",0,,0,0.05,-25,EQ,NSE,NSE", .negativeValue(column: "lot_size", value: "-25")),
        ("7,1,X,\"X\",0,,abc,0.05,1,EQ,NSE,NSE", .badNumber(column: "strike", value: "abc")),
        ("7,1,X,\"X\",0,,nan,0.05,1,EQ,NSE,NSE", .badNumber(column: "strike", value: "nan")),
        ("7,1,X,\"X\",0,,1e300,0.05,1,CE,NFO-OPT,NFO", .tooLarge(column: "strike", value: "1e300")),
        ("7,1,X,\"X\",0,,0,1000000000,1,EQ,NSE,NSE", .tooLarge(column: "tick_size", value: "1000000000")),
        ("7,1,,\"X\",0,,0,0.05,1,EQ,NSE,NSE", .missingValue(column: "tradingsymbol")),
        ("7,1,X,\"X\",0,,0,0.05,1,EQ,NSE", .wrongFieldCount(expected: 12, found: 11)),
        ("7,1,X,\"X\" LTD,0,,0,0.05,1,EQ,NSE,NSE", .malformedQuotes),
    ])
    func badRowIsRejectedWithItsLineAndReasonWhileOthersParse(row: String, reason: InstrumentRowError.Reason) throws {
        let good = "5,5,GOOD,\"GOOD\",0,,0,0.05,1,EQ,NSE,NSE"
        let text = [Self.header, good, row, good.replacingOccurrences(of: "5", with: "6"), ""].joined(separator: "\r\n")
        let result = try KiteInstrumentCSV.parse(text)
        #expect(result.errors.map(\.line) == [3])
        #expect(result.errors.first?.reason == reason)
        #expect(result.rows.map(\.line) == [2, 4])
    }

    @Test func rowErrorKeepsTheTokenWhenItCouldBeRead() throws {
        let text = Self.header + "\n7,1,X,\"X\",0,2026-13-01,0,0.05,1,FUT,NFO-FUT,NFO\n"
        let error = try #require(try KiteInstrumentCSV.parse(text).errors.first)
        #expect(error.token == 7)
        #expect(error.description == #"line 2: expiry "2026-13-01" is not a YYYY-MM-DD date"#)
    }

    @Test func unterminatedQuoteCostsOnlyItsOwnLine() throws {
        let text = Self.header + "\n"
            + "1,1,A,\"BROKEN,0,,0,0.05,1,EQ,NSE,NSE\n"
            + "2,2,B,\"FINE\",0,,0,0.05,1,EQ,NSE,NSE\n"
        let result = try KiteInstrumentCSV.parse(text)
        #expect(result.errors == [InstrumentRowError(line: 2, reason: .malformedQuotes)])
        #expect(result.rows.map(\.line) == [3])
    }

    @Test func missingRequiredColumnIsAFileLevelError() {
        let text = "instrument_token,tradingsymbol,name,expiry,strike,tick_size,lot_size,instrument_type,segment\n1,A,A,,0,0.05,1,EQ,NSE\n"
        #expect(throws: InstrumentCSVError.missingColumns(["exchange_token", "exchange"], line: 1)) {
            try KiteInstrumentCSV.parse(text)
        }
    }

    @Test(arguments: ["", "\u{FEFF}", "\n\r\n  \n"])
    func fileWithoutHeaderIsAFileLevelError(text: String) {
        #expect(throws: InstrumentCSVError.noHeader) { try KiteInstrumentCSV.parse(text) }
    }

    @Test func headerOnlyFileHasNoRowsAndNoErrors() throws {
        let result = try KiteInstrumentCSV.parse(Self.header + "\n")
        #expect(result.rows.isEmpty && result.errors.isEmpty)
    }

    @Test func unreadableFileNamesThePath() {
        #expect(throws: InstrumentCSVError.self) { try KiteInstrumentCSV.parse(contentsOfFile: "/nonexistent/instruments.csv") }
        do {
            _ = try KiteInstrumentCSV.parse(contentsOfFile: "/nonexistent/instruments.csv")
        } catch {
            #expect(error.description.contains("/nonexistent/instruments.csv"))
        }
    }

    @Test func writerQuotesNamesAndFieldsThatNeedIt() {
        let instrument = Instrument(
            token: 1, exchangeToken: 2, tradingSymbol: "A,B", name: #"SAY "HI""#,
            expiry: CalendarDay(year: 2026, month: 12, day: 1), strike: 88.25, tickSize: 0.0025, lotSize: 1,
            instrumentType: "CE", segment: "CDS-OPT", exchange: "CDS")
        let text = KiteInstrumentCSV.encode([instrument])
        #expect(text == Self.header + "\n" + #"1,2,"A,B","SAY ""HI""",0,2026-12-01,88.25,0.0025,1,CE,CDS-OPT,CDS"# + "\n")
    }

    @Test(arguments: [0.05, 0.0025, 0.1, 24_500, 88.25, 1e-7, 123_456_789.125, 0])
    func formattedNumbersReadBackExactly(value: Double) {
        #expect(Double(KiteInstrumentCSV.format(value)) == value)
    }
}
