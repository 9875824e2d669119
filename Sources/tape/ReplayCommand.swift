import EventLog
import Foundation

/// `tape replay`: history from the log to standard output, in log order, for backtests.
///
///     tape replay --data DIR [--from TIME | --from-offset N] [--to TIME] [--tokens 1,2]
///                 [--types tick,signal_published] [--speed 1|10|max] [--format ndjson|csv]
///
/// NDJSON writes every selected event as `tape dump` does; CSV writes ticks only, as
/// `offset,time,token,price,volume,oi,bid,ask` (pandas reads it as is). `--speed N` paces by
/// event time (N times faster than it happened); `max`, the default, does not wait. The output
/// depends only on the log and the flags, so two replays of a range are byte-identical.
enum ReplayCommand {
    static func run(_ args: inout Arguments) throws -> Int32 {
        let dir = args.dataDirectory() + "/log"
        let from = try args.time("from")
        let fromOffset = try args.integer("from-offset").map(UInt64.init)
        let to = try args.time("to")
        guard from == nil || fromOffset == nil else { throw UsageError("give --from or --from-offset, not both") }
        let tokens: Set<UInt32>? = try args.string("tokens").map { list in
            Set(try list.split(separator: ",").map { part in
                guard let token = UInt32(part) else { throw UsageError("--tokens takes instrument tokens separated by commas, got '\(part)'") }
                return token
            })
        }
        let format = args.string("format") ?? "ndjson"
        guard format == "ndjson" || format == "csv" else { throw UsageError("--format is ndjson or csv, got '\(format)'") }
        let types = try eventTypes(args.string("types"))
        if format == "csv", let types, types != [.tick] {
            throw UsageError("--format csv writes ticks only; drop --types or use --types tick")
        }
        let speedText = args.string("speed") ?? "max"
        let speed: Double? = speedText == "max" ? nil : Double(speedText)
        guard speedText == "max" || (speed.map { $0 > 0 && $0.isFinite } ?? false) else {
            throw UsageError("--speed is a positive number (1 = as it happened) or max, got '\(speedText)'")
        }
        try args.rejectUnknown()
        try requireLog(dir)

        let replay = LogReplay(from: from, fromOffset: fromOffset, to: to, tokens: tokens, types: types,
                               format: format == "csv" ? .csv : .ndjson)
        let reader = try LogReader(directory: dir)
        let start = try replay.startOffset(in: reader)
        let end = try reader.endOffset()
        let progress = isatty(2) != 0 ? Progress(start: start, end: end) : nil
        var out = JSONText(capacity: 1 << 16)
        replay.writeHeader(to: &out)
        var pace = ReplayPace(speed: speed)
        try reader.scan(from: start) { entry in
            progress?.update(entry.offset)
            switch replay.verdict(for: entry) {
            case .stop: return false
            case .skip: return true
            case .write: break
            }
            let wait = pace.delay(before: entry.time)
            if wait > .zero {
                writeOut(out.bytes)
                out.reset()
                Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
            }
            replay.write(entry, to: &out)
            if out.bytes.count > 1 << 16 { writeOut(out.bytes); out.reset() }
            return true
        }
        writeOut(out.bytes)
        progress?.finish()
        return 0
    }

    /// A comma-separated list of event type names (`tick,signal_published`), or nil for all.
    static func eventTypes(_ names: String?) throws -> Set<EventType>? {
        guard let names else { return nil }
        do {
            return try EventType.list(names)
        } catch {
            throw UsageError("\(error); known: \(EventType.allCases.map(\.name).joined(separator: ", "))")
        }
    }

    /// A progress bar on standard error (only when it is a terminal).
    final class Progress {
        let start: UInt64, end: UInt64
        var last = ContinuousClock.now
        init(start: UInt64, end: UInt64) { self.start = start; self.end = end }
        func update(_ offset: UInt64) {
            guard ContinuousClock.now - last > .milliseconds(200), end > start else { return }
            last = .now
            let fraction = Double(offset - start) / Double(end - start)
            let bar = String(repeating: "#", count: Int(fraction * 30)) + String(repeating: ".", count: 30 - Int(fraction * 30))
            printError("\rreplay [\(bar)] \(offset)/\(end)\u{1B}[K", newline: false)
        }
        func finish() { printError("") }
    }
}
