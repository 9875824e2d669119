/// Which part of the log a replay streams, and how it writes each event: shared by
/// `tape replay` and `GET /replay`, so both give the same bytes for the same range.
public struct LogReplay: Sendable {
    /// The formats a replay writes.
    public enum Format: String, Sendable {
        /// One event per line, as `tape dump` writes them.
        case ndjson
        /// Ticks only: `offset,time,token,price,volume,oi,bid,ask`.
        case csv
    }

    public var from: Timestamp?
    public var fromOffset: UInt64?
    /// Exclusive.
    public var to: Timestamp?
    public var tokens: Set<UInt32>?
    public var types: Set<EventType>?
    public var format: Format

    public init(from: Timestamp? = nil, fromOffset: UInt64? = nil, to: Timestamp? = nil, tokens: Set<UInt32>? = nil,
                types: Set<EventType>? = nil, format: Format = .ndjson) {
        self.from = from
        self.fromOffset = fromOffset
        self.to = to
        self.tokens = tokens
        self.types = format == .csv ? [.tick] : types
        self.format = format
    }

    /// The first offset to read: `fromOffset`, else the first at or after `from`, else the log's start.
    public func startOffset(in reader: LogReader) throws -> UInt64 {
        if let fromOffset { return fromOffset }
        if let from { return try reader.offset(atOrAfter: from) }
        return try reader.startOffset()
    }

    /// What to do with an entry read in log order.
    public enum Verdict { case write, skip, stop }

    public func verdict(for entry: LogEntry) -> Verdict {
        if let to, entry.time.rawValue >= to.rawValue { return .stop }
        if let types, !types.contains(entry.event.type) { return .skip }
        if let tokens, let token = entry.event.instrumentToken, !tokens.contains(token) { return .skip }
        return .write
    }

    /// The CSV header line (empty for NDJSON).
    public func writeHeader(to out: inout JSONText) {
        guard format == .csv else { return }
        out.raw("offset,time,token,price,volume,oi,bid,ask")
        out.newline()
    }

    /// One entry as a line of the format.
    public func write(_ entry: LogEntry, to out: inout JSONText) {
        guard format == .csv, case .tick(let tick) = entry.event else {
            entry.writeJSON(to: &out)
            out.newline()
            return
        }
        func field(_ write: (inout JSONText) -> Void) -> String {
            var j = JSONText(capacity: 24)
            write(&j)
            return j.string
        }
        let fields = [
            String(entry.offset), field { $0.seconds(entry.time) }, String(tick.token),
            field { $0.decimal(tick.price, decimals: tick.decimals) }, String(tick.volume),
            tick.openInterest.map(String.init) ?? "",
            tick.bid.map { bid in field { $0.decimal(bid, decimals: tick.decimals) } } ?? "",
            tick.ask.map { ask in field { $0.decimal(ask, decimals: tick.decimals) } } ?? "",
        ]
        out.raw(fields.joined(separator: ","))
        out.newline()
    }
}

extension Event {
    /// The instrument an event is about, for token filters; nil for events about none.
    public var instrumentToken: UInt32? {
        switch self {
        case .tick(let tick): tick.token
        case .instrumentListed(let i), .instrumentUpdated(let i): i.token
        case .instrumentDelisted(let token): token
        case .signalPublished(let s): s.token
        case .alertCreated(let change), .alertUpdated(let change): change.rule.token
        default: nil
        }
    }
}
