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
                let object = try Self.jsonObject(request)
                let instrument = try Self.instrument(from: object, base: nil)
                if self.catalog.instrument(token: instrument.token)?.isActive == true {
                    throw HTTPError(.conflict, code: "already_listed", message: "instrument \(instrument.token) is listed; PATCH /instruments/\(instrument.token) changes it")
                }
                return try self.appendCatalog([.instrumentListed(instrument)], status: .created)
            }
        })
        router.on(.patch, "/instruments/{token}", deferred: { [unowned self] request, context, reply in
            self.adminCommand(request, reply) { () throws(HTTPError) -> HTTPResponse in
                let record = try self.activeInstrument(context)
                let updated = try Self.instrument(from: try Self.jsonObject(request), base: record.instrument)
                guard updated.token == record.token else {
                    throw HTTPError.invalidParameter("instrument_token", "the token of an instrument cannot change")
                }
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

    /// An instrument from Kite-named JSON fields; with `base`, absent fields keep its values.
    static func instrument(from o: [String: Any], base: Instrument?) throws(HTTPError) -> Instrument {
        func text(_ key: String) throws(HTTPError) -> String? {
            guard let value = o[key] else { return nil }
            guard let s = value as? String else { throw HTTPError.invalidParameter(key, "\(key) must be a string") }
            return s
        }
        func number(_ key: String) throws(HTTPError) -> Double? {
            guard let value = o[key] else { return nil }
            // On Linux any NSNumber casts to Bool; a JSON true/false is the one whose type code is "c".
            guard let n = value as? NSNumber, String(cString: n.objCType) != "c", n.doubleValue.isFinite else {
                throw HTTPError.invalidParameter(key, "\(key) must be a number")
            }
            return n.doubleValue
        }
        func whole(_ key: String) throws(HTTPError) -> UInt32? {
            guard let n = try number(key) else { return nil }
            guard n >= 0, n <= Double(UInt32.max), n == n.rounded() else { throw HTTPError.invalidParameter(key, "\(key) must be a whole number from 0 to 4294967295") }
            return UInt32(n)
        }
        var expiry = base?.expiry
        if let value = o["expiry"] {
            if value is NSNull { expiry = nil } else {
                guard let s = value as? String, let day = CalendarDay(iso: s) else { throw HTTPError.invalidParameter("expiry", "expiry must be YYYY-MM-DD or null") }
                expiry = day
            }
        }
        guard let token = try whole("instrument_token") ?? base?.token else { throw HTTPError.invalidParameter("instrument_token", "instrument_token is required") }
        guard let symbol = try text("tradingsymbol") ?? base?.tradingSymbol, !symbol.isEmpty else { throw HTTPError.invalidParameter("tradingsymbol", "tradingsymbol is required") }
        guard let exchange = try text("exchange") ?? base?.exchange, !exchange.isEmpty else { throw HTTPError.invalidParameter("exchange", "exchange is required") }
        let known: Set<String> = ["instrument_token", "exchange_token", "tradingsymbol", "name", "expiry", "strike", "tick_size",
                                  "lot_size", "instrument_type", "segment", "exchange", "last_price"]
        if let unknown = o.keys.sorted().first(where: { !known.contains($0) }) {
            throw HTTPError(.badRequest, code: "unknown_field", message: "unknown field \(unknown)")
        }
        return Instrument(
            token: token, exchangeToken: try whole("exchange_token") ?? base?.exchangeToken ?? token >> 8,
            tradingSymbol: symbol, name: try text("name") ?? base?.name ?? "", expiry: expiry,
            strike: try number("strike") ?? base?.strike ?? 0, tickSize: try number("tick_size") ?? base?.tickSize ?? 0.05,
            lotSize: try whole("lot_size") ?? base?.lotSize ?? 1, instrumentType: try text("instrument_type") ?? base?.instrumentType ?? "EQ",
            segment: try text("segment") ?? base?.segment ?? exchange, exchange: exchange)
    }
}
