import EventLog
import Services
import Projections
import Glibc

/// Commands used by the crash tests; not part of the user's manual.
enum DebugCommands {
    /// Appends batches of ticks forever, printing `durable <last offset>` after each acknowledged append.
    static func appendLoop(_ args: inout Arguments) throws -> Int32 {
        let dir = args.dataDirectory() + "/log"
        let batch = Int(try args.integer("batch", range: 1...100_000) ?? 50)
        let segmentSize = try args.integer("segment-size", range: 4096...Int64.max) ?? (64 << 20)
        try args.rejectUnknown()
        let log = try EventLog(directory: dir, options: LogOptions(segmentSize: segmentSize))
        var offset = log.acceptedEnd
        while true {
            let records = (0..<batch).map { i -> Record in
                let n = offset + UInt64(i)
                return Record(time: Timestamp(nanoseconds: 1_764_300_000_000_000_000 + Int64(n) * 1_000),
                              event: .tick(Tick(token: UInt32(n % 2000) + 1, price: Int64(n % 100_000), volume: n)))
            }
            let range = try log.append(records)
            writeOut(Array("durable \(range.upperBound)\n".utf8))
            offset = range.upperBound + 1
        }
    }

    /// Catches the named projection up from its checkpoint in small transactions, printing
    /// `applied <next offset>` after each; the crash tests kill it midway.
    static func catchUp(_ args: inout Arguments) throws -> Int32 {
        let data = args.dataDirectory()
        let batch = Int(try args.integer("batch", range: 1...1_000_000) ?? 100)
        let name = args.string("projection") ?? "instruments"
        try args.rejectUnknown()
        let projection = try ProjectionSet.named(name)
        let runner = ProjectionRunner(projection: projection, log: try LogReader(directory: data + "/log"),
                                      databasePath: ProjectionSet.databasePath(data), batchSize: batch)
        try runner.catchUp()
        writeOut(Array("caught up \(runner.health.nextOffset) hash \(projection.contentHash())\n".utf8))
        return 0
    }
}
