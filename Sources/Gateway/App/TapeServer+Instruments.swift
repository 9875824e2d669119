import EventLog
import Foundation
import Projections
import Services

/// The admin side of the catalog: `POST /instruments`, `PATCH /instruments/{token}`,
/// `DELETE /instruments/{token}` and `POST /instruments/import` (a Kite CSV body).
/// Each answers with the offsets it appended, once the catalog has folded them.
extension TapeServer {
    func registerInstrumentCommands(on router: inout Router) {
        router.on(.post, "/instruments", deferred: { [unowned self] request, _, reply in
            self.adminCommand(request, reply) { () throws(HTTPError) -> HTTPResponse in
                let instrument = try Self.instrument(from: try JSONObjectBody(request), base: nil)
                if self.catalog.instrument(token: instrument.token)?.isActive == true {
                    throw HTTPError(.conflict, code: "already_listed", message: "instrument \(instrument.token) is listed; PATCH /instruments/\(instrument.token) changes it")
                }
                return try self.appendCatalog([.instrumentListed(instrument)], status: .created)
            }
        })
        router.on(.patch, "/instruments/{token}", deferred: { [unowned self] request, context, reply in
            self.adminCommand(request, reply) { () throws(HTTPError) -> HTTPResponse in
                let record = try self.activeInstrument(context)
                let body = try JSONObjectBody(request)
                // The path names the instrument; a token in the body could only contradict it.
                guard !body.contains("instrument_token") else {
                    throw HTTPError.invalidParameter("instrument_token", "instrument_token cannot be changed: the path names the instrument")
                }
                let updated = try Self.instrument(from: body, base: record.instrument)
                guard updated != record.instrument else { return Self.offsetsJSON(nil, status: .ok) }
                return try self.appendCatalog([.instrumentUpdated(updated)], status: .ok)
            }
        })
        router.on(.delete, "/instruments/{token}", deferred: { [unowned self] request, context, reply in
            self.adminCommand(request, reply) { () throws(HTTPError) -> HTTPResponse in
                let record = try self.activeInstrument(context)
                return try self.appendCatalog([.instrumentDelisted(token: record.token)], status: .ok)
            }
        })
        router.on(.post, "/instruments/import", deferred: { [unowned self] request, _, reply in
            self.adminCommand(request, reply) { () throws(HTTPError) -> HTTPResponse in
                let parsed: KiteInstrumentCSV.ParseResult
                do { parsed = try KiteInstrumentCSV.parse(request.body) } catch {
                    throw HTTPError(.badRequest, code: "invalid_csv", message: "\(error)")
                }
                let scope = request.queryValue("exchange").map { Set($0.split(separator: ",").map { String($0).uppercased() }) }
                var active: [UInt32: Instrument] = [:]
                for record in self.catalog.snapshot.records where record.isActive { active[record.token] = record.instrument }
                let diff = InstrumentImport(catalog: active, file: parsed, scope: scope.map { .exchanges($0) } ?? .exchangesInFile)
                var range: ClosedRange<UInt64>? = nil
                if !diff.events.isEmpty {
                    range = try self.appendEvents(diff.events)
                }
                let s = diff.summary
                var j = JSONText()
                j.beginObject()
                j.key("listed"); j.value(s.listed)
                j.key("updated"); j.value(s.updated)
                j.key("delisted"); j.value(s.delisted)
                j.key("unchanged"); j.value(s.unchanged)
                j.key("skipped"); j.value(s.skipped)
                j.key("rejected"); j.beginArray()
                for problem in s.rejected {
                    j.beginObject(); j.key("line"); j.value(problem.line); j.key("error"); j.value(problem.description); j.endObject()
                }
                j.endArray()
                Self.writeOffsets(range, to: &j)
                j.endObject()
                return .json(j.bytes)
            }
        })
    }

    private func adminCommand(_ request: HTTPRequest, _ reply: Reply, _ work: @escaping @Sendable () throws(HTTPError) -> HTTPResponse) {
        commands.async {
            do throws(HTTPError) {
                guard try self.caller(of: request).isAdmin else {
                    throw HTTPError(.forbidden, code: "forbidden", message: "changing instruments needs the admin key")
                }
                reply.send(try work())
            } catch {
                reply.send(error)
            }
        }
    }

    private func activeInstrument(_ context: RequestContext) throws(HTTPError) -> InstrumentRecord {
        guard let token = context.parameter("token").flatMap(UInt32.init) else {
            throw HTTPError.invalidParameter("token", "the token must be a whole number")
        }
        guard let record = catalog.instrument(token: token), record.isActive else {
            throw HTTPError(.notFound, code: "not_found", message: "no active instrument \(token)")
        }
        return record
    }

    /// Appends catalog events (in chunks), waits until the catalog folded them, answers the offsets.
    private func appendCatalog(_ events: [Event], status: HTTPStatus) throws(HTTPError) -> HTTPResponse {
        Self.offsetsJSON(try appendEvents(events), status: status)
    }

    private func appendEvents(_ events: [Event]) throws(HTTPError) -> ClosedRange<UInt64> {
        let now = Timestamp.now()
        var range: ClosedRange<UInt64>? = nil
        do {
            for start in stride(from: 0, to: events.count, by: 10_000) {
                let chunk = events[start..<min(start + 10_000, events.count)].map { Record(time: now, event: $0) }
                let appended = try log.append(chunk)
                range = (range?.lowerBound ?? appended.lowerBound)...appended.upperBound
            }
        } catch {
            throw HTTPError(.serviceUnavailable, code: "log_unavailable", message: "the log refused the append: \(error)")
        }
        _ = catalogRunner.waitUntilApplied(before: range!.upperBound + 1, timeout: .seconds(10))
        return range!
    }

    private static func offsetsJSON(_ range: ClosedRange<UInt64>?, status: HTTPStatus) -> HTTPResponse {
        var j = JSONText()
        j.beginObject()
        writeOffsets(range, to: &j)
        j.endObject()
        return .json(j.bytes, status: status)
    }

    private static func writeOffsets(_ range: ClosedRange<UInt64>?, to j: inout JSONText) {
        j.key("first_offset"); if let range { j.value(range.lowerBound) } else { j.null() }
        j.key("last_offset"); if let range { j.value(range.upperBound) } else { j.null() }
    }

    /// The Kite field names an instrument body may carry (`last_price` is accepted and ignored).
    static let instrumentFields: Set<String> = ["instrument_token", "exchange_token", "tradingsymbol", "name", "expiry", "strike",
                                                "tick_size", "lot_size", "instrument_type", "segment", "exchange", "last_price"]

    /// An instrument from Kite-named JSON fields; with `base`, absent fields keep its values.
    static func instrument(from body: JSONObjectBody, base: Instrument?) throws(HTTPError) -> Instrument {
        let expiry = try body.day("expiry") ?? base?.expiry
        guard let token = try body.uint32("instrument_token") ?? base?.token else { throw HTTPError.invalidParameter("instrument_token", "instrument_token is required") }
        guard let symbol = try body.string("tradingsymbol") ?? base?.tradingSymbol, !symbol.isEmpty else { throw HTTPError.invalidParameter("tradingsymbol", "tradingsymbol is required") }
        guard let exchange = try body.string("exchange") ?? base?.exchange, !exchange.isEmpty else { throw HTTPError.invalidParameter("exchange", "exchange is required") }
        try body.refuseFields(notIn: instrumentFields)
        return Instrument(
            token: token, exchangeToken: try body.uint32("exchange_token") ?? base?.exchangeToken ?? token >> 8,
            tradingSymbol: symbol, name: try body.string("name") ?? base?.name ?? "", expiry: expiry,
            strike: try body.amount("strike") ?? base?.strike ?? 0, tickSize: try body.amount("tick_size") ?? base?.tickSize ?? 0.05,
            lotSize: try body.uint32("lot_size") ?? base?.lotSize ?? 1, instrumentType: try body.string("instrument_type") ?? base?.instrumentType ?? "EQ",
            segment: try body.string("segment") ?? base?.segment ?? exchange, exchange: exchange)
    }
}
