import EventLog
import Foundation
import Glibc
import Projections
@testable import Services

/// A fresh directory under the temp dir, removed when dropped.
final class TickerDirectory {
    let path: String
    init() {
        var template = Array((NSTemporaryDirectory() + "tape-ticker-XXXXXX").utf8CString)
        path = String(cString: mkdtemp(&template)!)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    var log: String { path + "/log" }
}

/// A settable clock for request arrival times.
final class RequestClock: Sendable {
    let time = Monitor(TickerFixtures.receivedAt)
    func now() -> Timestamp { time.withLock { $0 } }
    func advance(seconds: Int64) { time.update { $0 = Timestamp(rawValue: $0.rawValue + seconds * 1_000_000_000) } }
}

/// Ingest on the log in `directory` (created or reopened), with the keys the log holds and
/// requests timed by `clock`: what a server start does, without the server.
func openIngestService(in directory: TickerDirectory, clock: RequestClock, options: LogOptions = LogOptions()) throws -> TickIngestService {
    let log = try EventLog(directory: directory.log, options: options)
    let index = try IdempotencyIndex(log: log.makeReader(), now: clock.now())
    return TickIngestService(log: log, index: index, instruments: { TickerFixtures.catalog }, clock: { clock.now() })
}

/// Catalog rows for validation tests: an NSE equity (tick 0.05), a currency future (0.0025),
/// an MCX future (1.0), an index (tick 0) and a delisted equity.
enum TickerFixtures {
    static let infy: UInt32 = 408_065
    static let usdinr: UInt32 = 412_675
    static let gold: UInt32 = 53_505_031
    static let nifty: UInt32 = 256_265
    static let delisted: UInt32 = 738_561

    static func instrument(_ token: UInt32, _ symbol: String, tickSize: Double, type: String = "EQ",
                           segment: String = "NSE", exchange: String = "NSE", lot: UInt32 = 1) -> Instrument {
        Instrument(token: token, exchangeToken: token >> 8, tradingSymbol: symbol, name: symbol, expiry: nil, strike: 0,
                   tickSize: tickSize, lotSize: lot, instrumentType: type, segment: segment, exchange: exchange)
    }

    static let instruments = [
        instrument(infy, "INFY", tickSize: 0.05),
        instrument(usdinr, "USDINR26DECFUT", tickSize: 0.0025, type: "FUT", segment: "CDS-FUT", exchange: "CDS", lot: 1),
        instrument(gold, "GOLD26DECFUT", tickSize: 1, type: "FUT", segment: "MCX-FUT", exchange: "MCX", lot: 1),
        instrument(nifty, "NIFTY 50", tickSize: 0, segment: "INDICES", exchange: "NSE", lot: 0),
        instrument(delisted, "OLDCO", tickSize: 0.05),
    ]

    static let catalog: [UInt32: InstrumentRecord] = Dictionary(uniqueKeysWithValues: instruments.map { instrument in
        (instrument.token, InstrumentRecord(instrument: instrument, isActive: instrument.token != delisted, listedOffset: 0,
                                            listedTime: .zero, updatedTime: .zero, delistedTime: instrument.token == delisted ? .zero : nil))
    })

    /// 2025-11-28 03:20:00 UTC, the arrival time of every test request.
    static let receivedAt = Timestamp(seconds: 1_764_300_000)
}

