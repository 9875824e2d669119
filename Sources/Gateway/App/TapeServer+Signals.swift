import EventLog
import Foundation
import Projections

/// `POST /signals` and `GET /signals`: ML model outputs as SignalPublished events, folded by
/// the `signals` projection, pushed to `/ws/v2` sessions subscribed to the token, drawn as marks.
extension TapeServer {
    /// The most signals one `POST /signals` may carry.
    static let maxSignalsPerRequest = 10_000
    /// Signal times end before 2100-01-01, in Unix seconds.
    static let signalTimeLimit = 4_102_444_800.0

    func registerSignalRoutes(on router: inout Router, readMiddleware: [any Middleware]) {
        router.on(.post, "/signals", deferred: { [unowned self] request, _, reply in
            self.ingestQueue.async {
                do throws(HTTPError) { reply.send(try self.publishSignals(request)) } catch { reply.send(error) }
            }
        })
        router.get("/signals", middleware: readMiddleware + [CORSMiddleware()]) { [unowned self] request, _ in
            try self.listSignals(request)
        }
    }

    /// Validates each signal; appends the valid ones in one batch and lists the others by index.
    private func publishSignals(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        _ = try caller(of: request)
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(request.body)) else {
            throw HTTPError(.badRequest, code: "invalid_json", message: "the body must be a signal object or an array of them")
        }
        let items: [Any] = (parsed as? [Any]) ?? [parsed]
        guard !items.isEmpty, items.count <= Self.maxSignalsPerRequest else {
            throw HTTPError(.badRequest, code: "invalid_body", message: "send 1 to \(Self.maxSignalsPerRequest) signals")
        }
        let now = Timestamp.now()
        var records: [Record] = []
        var rejected: [(Int, String)] = []
        for (index, item) in items.enumerated() {
            do throws(HTTPError) {
                records.append(try signalRecord(item, receivedAt: now))
            } catch {
                rejected.append((index, error.message))
            }
        }
        var range: ClosedRange<UInt64>?
        if !records.isEmpty {
            do {
                range = try log.append(records)
            } catch {
                throw HTTPError(.serviceUnavailable, code: "log_unavailable", message: "the log refused the append: \(error)")
            }
        }
        var j = JSONText()
        j.beginObject()
        j.key("first_offset"); if let range { j.value(range.lowerBound) } else { j.null() }
        j.key("last_offset"); if let range { j.value(range.upperBound) } else { j.null() }
        j.key("accepted"); j.value(records.count)
        j.key("rejected"); j.beginArray()
        for (index, message) in rejected {
            j.beginObject(); j.key("index"); j.value(index); j.key("error"); j.value(message); j.endObject()
        }
        j.endArray()
        j.endObject()
        return .json(j.bytes, status: records.isEmpty ? HTTPStatus(rawValue: 422) : .ok)
    }

    /// One `{model, token, time?, value, label?, confidence?}` as a record; `time` defaults to receipt.
    private func signalRecord(_ item: Any, receivedAt now: Timestamp) throws(HTTPError) -> Record {
        guard let fields = item as? [String: Any] else { throw HTTPError.invalidParameter("signal", "each signal must be an object") }
        let body = JSONBody(fields: fields)
        try body.rejectUnknown(["model", "token", "time", "value", "label", "confidence"])
        // Lengths in Unicode code points, as JSON Schema's minLength/maxLength count them in the document.
        guard let model = try body.text("model"), !model.isEmpty, model.unicodeScalars.count <= 100 else {
            throw HTTPError.invalidParameter("model", "model must be a string of 1 to 100 characters")
        }
        guard let token = try body.whole("token", in: 0...UInt64(UInt32.max)).map(UInt32.init) else {
            throw HTTPError.invalidParameter("token", "token is required")
        }
        guard catalog.instrument(token: token) != nil else {
            throw HTTPError.invalidParameter("token", "token \(token) is not in the catalog")
        }
        guard let value = try body.number("value") else { throw HTTPError.invalidParameter("value", "value must be a number") }
        var time = now
        if let seconds = try body.number("time") {
            // 1970 to 2100: event times anywhere in an Int64's range made differences between them overflow (a
            // signal at -9e9 s stopped the server computing projection lag).
            guard seconds >= 0, seconds < Self.signalTimeLimit else {
                throw HTTPError.invalidParameter("time", "time must be Unix seconds from 0 (1970) to before \(Int(Self.signalTimeLimit)) (2100)")
            }
            time = Timestamp(nanoseconds: Int64((seconds * 1e9).rounded()))
        }
        let label = try body.text("label")
        if let label, label.unicodeScalars.count > 200 { throw HTTPError.invalidParameter("label", "label must be at most 200 characters") }
        let confidence = try body.number("confidence")
        if let confidence, !(0...1).contains(confidence) { throw HTTPError.invalidParameter("confidence", "confidence must be from 0 to 1") }
        return Record(time: time, event: .signalPublished(SignalPublished(model: model, token: token, value: value,
                                                                          label: label, confidence: confidence)))
    }

    /// `GET /signals?token=&model=&from=&to=&limit=`: oldest first, the last `limit` of the range.
    private func listSignals(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let query = try QueryParameters(request, allowed: ["token", "model", "from", "to", "limit"])
        guard let token = try query.integer("token", in: 0...Int(UInt32.max)).map(UInt32.init) else {
            throw .invalidParameter("token", "token is required")
        }
        let from = try query.seconds("from")
        let to = try query.seconds("to")
        let limit = try query.integer("limit", in: 1...10_000, default: 1_000) ?? 1_000
        let asOf = signals.totals.asOfOffset
        let found = signals.signals(token: token, model: query.string("model"), from: from, to: to, limit: limit)
        var j = JSONText(capacity: 128 + found.count * 128)
        j.beginObject()
        j.key("items"); j.beginArray(); for signal in found { Self.write(signal, to: &j) }; j.endArray()
        j.key("as_of_offset"); j.value(asOf)
        j.endObject()
        return .json(j.bytes)
    }

    static func write(_ signal: Signal, to j: inout JSONText) {
        V2Encoding.writeSignal(SignalPublished(model: signal.model, token: signal.token, value: signal.value,
                                               label: signal.label, confidence: signal.confidence),
                               time: signal.time, offset: signal.offset, to: &j)
    }
}
