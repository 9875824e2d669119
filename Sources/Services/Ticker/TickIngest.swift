import EventLog

/// Parses and validates the body of `POST /ticks` into tick records and per-item rejections.
///
/// The body is a JSON array of tick objects, or NDJSON (one object per line), chosen by its
/// first non-blank byte (`[` or `{`). An item is
///
///     {"token": 408065, "price": 1523.45, "volume": 120, "time": 1764300000.125,
///      "oi": 5000, "bid": 1523.40, "ask": 1523.50}
///
/// `token`, `price` and `volume` are required; `time` (Unix seconds, at most nanosecond
/// precision; finer digits are dropped) defaults to when the request arrived; `oi`, `bid` and
/// `ask` are optional; `null` means absent. Prices are in currency units and must be exactly
/// representable at the instrument's decimals (`PriceGrid`): 1523.45 is fine for a 0.05 tick,
/// 1523.456 is not. They are not required to sit on the tick grid itself. Unknown fields are
/// refused, so that a typo is not silently dropped. Times more than `maxFutureSkew` ahead of
/// the arrival time are refused.
///
/// Limits: `maxBodyBytes` (4 MiB) and `maxItems` (10,000) per request; a larger body is refused
/// whole (413). An array that is not valid JSON is refused whole (400); an NDJSON line that is
/// not valid JSON rejects that item only. Items are numbered from 0 in request order (blank
/// NDJSON lines are not items). Pure: no clock, no I/O. A value type; use from any thread.
public struct TickIngest {
    /// The largest body accepted (4 MiB); a gateway may refuse smaller ones first (its own limit is 1 MiB by default).
    public static let maxBodyBytes = 4 << 20
    /// The most items one body may hold.
    public static let maxItems = 10_000
    /// How far ahead of the arrival time an item's time may be.
    public static let maxFutureSkew: Duration = .seconds(300)
    /// The longest `Idempotency-Key` accepted.
    public static let maxKeyLength = 255

    /// The records of the valid items, in request order, and why each other item was refused.
    public struct Outcome: Sendable {
        public var records: [Record]
        public var rejected: [TicksIngested.Rejection]
        /// Items in the body: `records.count + rejected.count`.
        public var itemCount: Int { records.count + rejected.count }
    }

    let validator: TickValidator

    /// - Parameters:
    ///   - instruments: the catalog as of the request.
    ///   - receivedAt: when the request arrived (the time of items that carry none).
    ///   - acceptsDelisted: take ticks of delisted instruments (history imports) instead of refusing them.
    public init(instruments: any InstrumentLookup, receivedAt: Timestamp, acceptsDelisted: Bool = false) {
        validator = TickValidator(instruments: instruments, acceptsDelisted: acceptsDelisted, receivedAt: receivedAt,
                                  maxFutureSkew: Int64(Self.maxFutureSkew.components.seconds) * 1_000_000_000)
    }

    /// Parses a whole body; throws only when the body as a whole is unusable.
    public func parse(_ body: [UInt8]) throws(TickIngestError) -> Outcome {
        guard body.count <= Self.maxBodyBytes else { throw .bodyTooLarge(bytes: body.count, limit: Self.maxBodyBytes) }
        var reader = TickJSONReader(body, from: body.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0)
        reader.skipWhitespace()
        switch reader.peek {
        case nil: throw .emptyBody
        case UInt8(ascii: "["): return try parseArray(reader)
        case UInt8(ascii: "{"): return try parseLines(body, from: reader.position)
        default: throw .notTicks
        }
    }

    /// Validates one NDJSON line (`bytes[range]`): a record, or the message that refuses it.
    func parseLine(_ bytes: [UInt8], _ range: Range<Int>) -> TickValidator.Outcome {
        var reader = TickJSONReader(bytes, from: range.lowerBound, to: range.upperBound)
        do throws(TickJSONReader.SyntaxError) {
            let fields = try reader.readItem()
            reader.skipWhitespace()
            guard reader.isAtEnd else { throw reader.fail("unexpected text after the object") }
            return validator.validate(fields)
        } catch {
            return .rejected("not valid JSON at column \(error.position - range.lowerBound + 1): \(error.reason)")
        }
    }

    private func parseArray(_ start: TickJSONReader) throws(TickIngestError) -> Outcome {
        var reader = start
        var outcome = Outcome(records: [], rejected: [])
        var isTooLong = false
        do throws(TickJSONReader.SyntaxError) {
            try reader.expect(UInt8(ascii: "["), "'['")
            if !reader.consume(UInt8(ascii: "]")) {
                repeat {
                    if outcome.itemCount == Self.maxItems {
                        isTooLong = true
                        break
                    }
                    add(validator.validate(try reader.readItem()), index: outcome.itemCount, to: &outcome)
                } while reader.consume(UInt8(ascii: ","))
                if !isTooLong { try reader.expect(UInt8(ascii: "]"), "',' or ']' after an item") }
            }
            reader.skipWhitespace()
            guard isTooLong || reader.isAtEnd else { throw reader.fail("unexpected text after the array") }
        } catch {
            let (line, column) = reader.lineAndColumn(of: error.position)
            throw .malformedJSON(line: line, column: column, reason: error.reason)
        }
        if isTooLong { throw .tooManyItems(limit: Self.maxItems) }
        return outcome
    }

    private func parseLines(_ body: [UInt8], from start: Int) throws(TickIngestError) -> Outcome {
        var outcome = Outcome(records: [], rejected: [])
        var lineStart = start
        while lineStart < body.count {
            var lineEnd = lineStart
            while lineEnd < body.count, body[lineEnd] != 0x0A { lineEnd += 1 }
            var reader = TickJSONReader(body, from: lineStart, to: lineEnd)
            reader.skipWhitespace()
            if !reader.isAtEnd {
                guard outcome.itemCount < Self.maxItems else { throw .tooManyItems(limit: Self.maxItems) }
                add(parseLine(body, lineStart..<lineEnd), index: outcome.itemCount, to: &outcome)
            }
            lineStart = lineEnd + 1
        }
        return outcome
    }

    private func add(_ result: TickValidator.Outcome, index: Int, to outcome: inout Outcome) {
        switch result {
        case .record(let record): outcome.records.append(record)
        case .rejected(let message): outcome.rejected.append(TicksIngested.Rejection(index: UInt32(index), message: message))
        }
    }
}
