import EventLog
import Glibc

/// `tape verify`, `tape dump` and `tape log stats`.
enum LogCommands {
    static func verify(_ args: inout Arguments) throws -> Int32 {
        let dir = args.dataDirectory() + "/log"
        try args.rejectUnknown()
        try requireLog(dir)
        let report = try LogInspector.verify(directory: dir)
        let s = report.statistics
        print("verified \(dir): \(s.segments) segments, \(s.batches) batches, \(s.events) events, offsets \(range(s))")
        for index in report.staleIndexes { print("note: index \(index) is missing or stale; it is rebuilt on the next open") }
        if report.isClean {
            print("ok: every frame checks out")
            return 0
        }
        for problem in report.problems { print("BAD FRAME: \(problem)") }
        print("\(report.problems.count) bad frame(s)")
        return 1
    }

    static func dump(_ args: inout Arguments) throws -> Int32 {
        let dir = args.dataDirectory() + "/log"
        let from = UInt64(try args.integer("from-offset") ?? 0)
        let limit = Int(try args.integer("limit", range: 1...Int64(Int.max)) ?? Int64(Int.max))
        let types = try ReplayCommand.eventTypes(args.string("type"))
        try args.rejectUnknown()
        try requireLog(dir)
        let reader = try LogReader(directory: dir)
        var json = JSONText(capacity: 1 << 16)
        var written = 0
        try reader.scan(from: from) { entry in
            if let types, !types.contains(entry.event.type) { return true }
            entry.writeJSON(to: &json)
            json.newline()
            written += 1
            if json.bytes.count > 1 << 16 { writeOut(json.bytes); json.reset() }
            return written < limit
        }
        writeOut(json.bytes)
        return 0
    }

    static func stats(_ args: inout Arguments) throws -> Int32 {
        let dir = args.dataDirectory() + "/log"
        let asJSON = args.flag("json")
        try args.rejectUnknown()
        try requireLog(dir)
        let s = try LogInspector.statistics(directory: dir)
        if asJSON {
            print(s.json)
            return 0
        }
        print("""
        segments      \(s.segments)
        events        \(s.events)
        bytes on disk \(s.bytesOnDisk)
        raw bytes     \(s.rawBytes)
        ratio         \(String(format: s.compressionRatio))
        offsets       \(range(s))
        times         \(s.firstTime.map(iso) ?? "-") ... \(s.lastTime.map(iso) ?? "-")
        """)
        return 0
    }

    private static func range(_ s: LogInspector.Statistics) -> String {
        guard let first = s.firstOffset, let last = s.lastOffset else { return "none" }
        return "\(first)...\(last)"
    }
}

/// `2026-11-27T09:15:00.123Z` for a timestamp.
func iso(_ t: Timestamp) -> String { t.iso8601 }

extension String {
    /// Three decimals, without Foundation.
    init(format value: Double) {
        let scaled = Int64((value * 1000).rounded())
        var bytes: [UInt8] = []
        JSONText.appendDecimal(scaled, decimals: 3, to: &bytes)
        self = String(decoding: bytes, as: UTF8.self)
    }
}
