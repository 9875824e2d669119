import EventLog
import Foundation

/// `GET /replay`: the same history as `tape replay`, streamed as chunked NDJSON (or CSV).
///
/// Market-data events (ticks, instrument events, signals) need any valid key; other types
/// (users, keys' salted hashes, alerts, sessions) only the admin key.
extension TapeServer {
    /// Event types a non-admin key may replay.
    static let publicReplayTypes: Set<EventType> = [.tick, .instrumentListed, .instrumentUpdated, .instrumentDelisted, .signalPublished]

    func registerReplay(on router: inout Router) {
        router.get("/replay") { [unowned self] request, _ in
            let caller = try self.caller(of: request)
            let replay = try Self.replay(from: request, isAdmin: caller.isAdmin)
            let reader = try self.replayReader()
            let start: UInt64
            do { start = try replay.startOffset(in: reader) } catch {
                throw HTTPError(.serviceUnavailable, code: "log_unavailable", message: "cannot read the log: \(error)")
            }
            let type = replay.format == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson"
            return HTTPResponse(status: .ok, headers: ["Content-Type": type], body: .stream { writer in
                // Reading and waiting for a slow client happen off the event loops.
                DispatchQueue.global().async { Self.stream(replay, from: start, reader: reader, to: writer) }
            })
        }
    }

    private func replayReader() throws(HTTPError) -> LogReader {
        do { return try log.makeReader() } catch {
            throw HTTPError(.serviceUnavailable, code: "log_unavailable", message: "cannot read the log: \(error)")
        }
    }

    /// Writes the replay in 64 KiB chunks, waiting while the connection's queue is full; stops
    /// when the client goes away or stays stuck for 30 s.
    private static func stream(_ replay: LogReplay, from start: UInt64, reader: LogReader, to writer: HTTPBodyWriter) {
        var out = JSONText(capacity: 1 << 16)
        replay.writeHeader(to: &out)
        func send() -> Bool {
            var stuckSince: ContinuousClock.Instant?
            while true {
                switch writer.write(out.bytes) {
                case .queued: out.reset(); return true
                case .closed: return false
                case .queueFull:
                    let since = stuckSince ?? .now
                    stuckSince = since
                    guard ContinuousClock.now - since < .seconds(30) else { return false }
                    usleep(2_000)
                }
            }
        }
        var isOpen = true
        try? reader.scan(from: start) { entry in
            switch replay.verdict(for: entry) {
            case .stop: return false
            case .skip: return true
            case .write: break
            }
            replay.write(entry, to: &out)
            if out.bytes.count >= 1 << 16 { isOpen = send() }
            return isOpen
        }
        if isOpen, send() { writer.finish() }
    }

    /// The replay a request's query asks for: `from`, `to` (Unix seconds or ISO 8601), `from_offset`,
    /// `tokens`, `types`, `format`.
    static func replay(from request: HTTPRequest, isAdmin: Bool) throws(HTTPError) -> LogReplay {
        let query = try QueryParameters(request, allowed: ["from", "to", "from_offset", "tokens", "types", "format"])
        func time(_ name: String) throws(HTTPError) -> Timestamp? {
            guard let text = query.string(name) else { return nil }
            guard let time = Timestamp(iso8601: text) else {
                throw .invalidParameter(name, "\(name) must be Unix seconds or a time such as 2026-11-27T09:15:00Z, got \"\(text.prefix(40))\"")
            }
            return time
        }
        let from = try time("from"), to = try time("to")
        let fromOffset = try query.integer("from_offset", in: 0...Int(Int64.max)).map(UInt64.init)
        if from != nil, fromOffset != nil { throw .invalidParameter("from_offset", "give from or from_offset, not both") }
        let tokens = try query.instrumentTokens("tokens").map(Set.init)
        var types: Set<EventType>? = isAdmin ? nil : publicReplayTypes
        if let text = query.string("types") {
            let asked: Set<EventType>
            do { asked = try EventType.list(text) } catch { throw .invalidParameter("types", "\(error)") }
            if !isAdmin, let type = asked.subtracting(publicReplayTypes).min(by: { $0.rawValue < $1.rawValue }) {
                throw HTTPError(.forbidden, code: "forbidden", message: "replaying \(type.name) events needs the admin key")
            }
            types = asked
        }
        let format = try query.choice("format", ["ndjson": LogReplay.Format.ndjson, "csv": .csv], default: .ndjson)
        return LogReplay(from: from, fromOffset: fromOffset, to: to, tokens: tokens, types: types, format: format)
    }
}
