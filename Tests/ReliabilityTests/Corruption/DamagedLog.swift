import EventLog
import Foundation
import Glibc

/// A real log of several segments, its original bytes, and where each batch sits, so that tests can damage
/// a copy of it and put it back. Owned by one test at a time.
final class DamagedLog {
    /// One batch as written: its segment, byte range and offsets.
    struct Batch {
        var segment: String
        var position: Int64
        var length: Int64
        var baseOffset: UInt64
        var count: UInt32
        var isInLastSegment: Bool
        var endPosition: Int64 { position + length }
    }

    /// The data directory (`tape verify --data`); the log is in `log/` below it.
    let dataDirectory: String
    var logDirectory: String { dataDirectory + "/log" }
    /// Every record appended, by offset.
    let records: [Record]
    let batches: [Batch]
    /// Every file of the log directory as it was after the log was closed.
    private let originals: [String: [UInt8]]
    let segments: [String]

    /// Appends `batchCount` batches of ticks and instrument listings into small segments, then closes the log.
    init(batchCount: Int = 60, batchSize: Int = 25, segmentSize: Int64 = 6 * 1024) throws {
        // In memory when it can be: a thousand cases each sync a cut, and the disk is shared.
        dataDirectory = makeTemporaryDirectory("tape-corruption", under: FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : nil)
        var records: [Record] = []
        let log = try EventLog(directory: dataDirectory + "/log", options: LogOptions(segmentSize: segmentSize, durability: .never))
        for batch in 0..<batchCount {
            let batchRecords = (0..<batchSize).map { i -> Record in
                let n = batch * batchSize + i
                let time = Timestamp(rawValue: 1_764_300_000_000_000_000 + Int64(n) * 1_000_003)
                if i == 0 {
                    return Record(time: time, event: .instrumentListed(Instrument(
                        token: UInt32(n + 1), exchangeToken: UInt32(n), tradingSymbol: "SYM\(n)", name: "Instrument number \(n)", expiry: nil,
                        strike: 0, tickSize: 0.05, lotSize: 1, instrumentType: "EQ", segment: "NSE", exchange: "NSE")))
                }
                return Record(time: time, event: .tick(Tick(token: UInt32(n % 97 + 1), price: Int64(n * 7919 % 100_000), decimals: 2, volume: UInt64(n))))
            }
            try log.append(batchRecords)
            records += batchRecords
        }
        try log.close()
        self.records = records

        let names = try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/log").sorted()
        var originals: [String: [UInt8]] = [:]
        for name in names where name.hasSuffix(".seg") || name.hasSuffix(".idx") {
            originals[name] = Array(try Data(contentsOf: URL(fileURLWithPath: dataDirectory + "/log/" + name)))
        }
        self.originals = originals
        segments = names.filter { $0.hasSuffix(".seg") }
        var batches: [Batch] = []
        for segment in segments {
            let bytes = originals[segment]!
            var position = 0
            while position + BatchHeader.size <= bytes.count {
                let header = try bytes.withUnsafeBytes { raw in
                    try BatchHeader.decode(UnsafeRawBufferPointer(rebasing: raw[position..<(position + BatchHeader.size)])).get()
                }
                batches.append(Batch(segment: segment, position: Int64(position), length: header.totalLength, baseOffset: header.baseOffset,
                                     count: header.count, isInLastSegment: segment == segments.last))
                position += Int(header.totalLength)
            }
        }
        self.batches = batches
    }

    deinit { removeDirectory(dataDirectory) }

    func path(of segment: String) -> String { logDirectory + "/" + segment }

    /// The batch that holds byte `position` of `segment`.
    func batch(containing position: Int64, in segment: String) -> Batch? {
        batches.first { $0.segment == segment && $0.position <= position && position < $0.endPosition }
    }

    /// Puts every file back as it was and removes anything a test left beside them.
    func restore() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: logDirectory) where originals[name] == nil {
            try FileManager.default.removeItem(atPath: logDirectory + "/" + name)
        }
        for (name, bytes) in originals {
            let file = try File(path: logDirectory + "/" + name, flags: O_RDWR | O_CREAT)
            try file.write(bytes, at: 0)
            try file.truncate(to: Int64(bytes.count))
        }
    }

    /// Reads from offset 0 until the end or the first corruption; every entry read must be the record appended at its offset.
    /// Returns how many entries were read and the corruption that stopped the read, if any.
    func readBack() throws -> (count: UInt64, stoppedBy: LogError?, mismatch: UInt64?) {
        var count: UInt64 = 0
        var mismatch: UInt64?
        do {
            let reader = try LogReader(directory: logDirectory)
            try reader.scan(from: 0) { entry in
                if entry.offset != count || Int(entry.offset) >= records.count
                    || Record(time: entry.time, event: entry.event) != records[Int(entry.offset)] {
                    mismatch = entry.offset
                    return false
                }
                count += 1
                return true
            }
        } catch let error as LogError {
            return (count, error, mismatch)
        }
        return (count, nil, mismatch)
    }
}
