import EventLog

/// Turns tick items into log records, checked against the catalog, or says everything that is
/// wrong with an item. Pure: the time a request arrived is given, never read.
/// A value type built for one request or file.
struct TickValidator {
    /// What became of one item.
    enum Outcome {
        case record(Record)
        /// Every problem found, joined by "; ".
        case rejected(String)
    }

    let instruments: any InstrumentLookup
    /// Whether ticks of delisted instruments are taken (history imports) or refused (live ingest).
    let acceptsDelisted: Bool
    /// When the request arrived: the time of items without one, and the reference for "too far ahead".
    let receivedAt: Timestamp
    /// How far ahead of `receivedAt` an item's time may be, in nanoseconds.
    let maxFutureSkew: Int64

    func validate(_ fields: TickFields) -> Outcome {
        if let notAnObject = fields.notAnObject { return .rejected(notAnObject) }
        var problems = fields.problems
        var token: UInt32?
        switch fields.token {
        case .absent:
            problems.append("token is missing")
        case .notANumber(let description):
            problems.append("token must be an instrument_token (a whole number), got \(description)")
        case .number(let number):
            if case .exact(let value) = number.scaled(by: 0), value > 0, value <= Int64(UInt32.max) {
                token = UInt32(value)
            } else {
                problems.append("token \(number.text) is not an instrument_token (a whole number from 1 to 4294967295)")
            }
        }
        var grid: (PriceGrid, tickSize: Double)?
        if let token {
            if let record = instruments.instrument(token: token) {
                if record.isActive || acceptsDelisted {
                    grid = (PriceGrid(tickSize: record.instrument.tickSize), record.instrument.tickSize)
                } else {
                    problems.append("token \(token) (\(record.instrument.exchange):\(record.instrument.tradingSymbol)) is delisted")
                }
            } else {
                problems.append("token \(token) is not in the catalog")
            }
        }

        let price = amount("price", fields.price, on: grid, isRequired: true, mayBeZero: false, problems: &problems)
        let bid = amount("bid", fields.bid, on: grid, isRequired: false, mayBeZero: true, problems: &problems)
        let ask = amount("ask", fields.ask, on: grid, isRequired: false, mayBeZero: true, problems: &problems)
        let volume = quantity("volume", fields.volume, isRequired: true, problems: &problems)
        let openInterest = quantity("oi", fields.openInterest, isRequired: false, problems: &problems)
        let time = self.time(fields.time, problems: &problems)

        guard problems.isEmpty, let token, let grid, let price, let volume, let time else {
            return .rejected(problems.joined(separator: "; "))
        }
        return .record(Record(time: time, event: .tick(Tick(
            token: token, price: price, decimals: grid.0.decimals, volume: volume,
            openInterest: openInterest, bid: bid, ask: ask))))
    }

    /// A field's number, or nil after noting why there is none (absent and required, or not a number).
    private func number(_ name: String, _ value: TickFields.Value, isRequired: Bool, expecting: String,
                        problems: inout [String]) -> DecimalText? {
        switch value {
        case .absent:
            if isRequired { problems.append("\(name) is missing") }
            return nil
        case .notANumber(let description):
            problems.append("\(name) must be \(expecting), got \(description)")
            return nil
        case .number(let number):
            return number
        }
    }

    /// A price in minor units of the instrument's grid (nil when absent or wrong).
    private func amount(_ name: String, _ value: TickFields.Value, on grid: (PriceGrid, tickSize: Double)?, isRequired: Bool,
                        mayBeZero: Bool, problems: inout [String]) -> Int64? {
        guard let number = number(name, value, isRequired: isRequired, expecting: "a number", problems: &problems) else { return nil }
        if number.isZero ? !mayBeZero : number.isNegative {
            problems.append("\(name) \(number.text) must be \(mayBeZero ? "zero or more" : "positive")")
            return nil
        }
        guard let (grid, tickSize) = grid else { return nil }
        switch number.scaled(by: Int(grid.decimals)) {
        case .exact(let units):
            return units
        case .tooPrecise:
            problems.append("\(name) \(number.text) has more than \(grid.decimals) decimals, the most tick size \(tickSize) allows")
        case .outOfRange:
            problems.append("\(name) \(number.text) is too large")
        }
        return nil
    }

    /// A whole number of zero or more (volume, open interest).
    private func quantity(_ name: String, _ value: TickFields.Value, isRequired: Bool, problems: inout [String]) -> UInt64? {
        guard let number = number(name, value, isRequired: isRequired, expecting: "a whole number", problems: &problems) else { return nil }
        switch number.scaled(by: 0) {
        case .exact(let value) where value >= 0:
            return UInt64(value)
        case .exact:
            problems.append("\(name) \(number.text) is negative")
        case .tooPrecise:
            problems.append("\(name) \(number.text) is not a whole number")
        case .outOfRange:
            problems.append("\(name) \(number.text) is too large")
        }
        return nil
    }

    /// Unix seconds to a timestamp; digits below a nanosecond are dropped. Absent means `receivedAt`.
    private func time(_ value: TickFields.Value, problems: inout [String]) -> Timestamp? {
        if case .absent = value { return receivedAt }
        guard let number = number("time", value, isRequired: true, expecting: "Unix seconds (a number)", problems: &problems) else { return nil }
        guard case .exact(let nanoseconds) = number.scaled(by: 9, truncating: true) else {
            problems.append("time \(number.text) is past the year 2262: send Unix seconds, not milliseconds")
            return nil
        }
        if nanoseconds < 0 {
            problems.append("time \(number.text) is before 1970: send Unix seconds")
            return nil
        }
        let ahead = nanoseconds &- receivedAt.rawValue
        if ahead > maxFutureSkew {
            problems.append("time \(number.text) is \(ahead / 1_000_000_000) s ahead of the server clock; at most \(maxFutureSkew / 1_000_000_000) s is allowed")
            return nil
        }
        return Timestamp(rawValue: nanoseconds)
    }
}
