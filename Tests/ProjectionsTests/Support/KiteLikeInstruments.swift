import EventLog
@testable import Projections

/// A synthetic instrument master shaped like Kite's: mostly index and stock options, some
/// futures, cash equities and indices; token = exchange_token << 8 | segment code.
enum KiteLikeInstruments {
    static func make(count: Int, seed: UInt64) -> [Instrument] {
        var random = SplitMix64(seed: seed)
        let underlyings = ["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "SENSEX", "RELIANCE", "TCS", "INFY",
                           "HDFCBANK", "ICICIBANK", "SBIN", "TATAMOTORS", "ITC", "LT", "AXISBANK", "GOLD", "SILVER", "CRUDEOIL"]
        let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        let firstExpiry = CalendarDay(year: 2026, month: 12, day: 1)
        var out: [Instrument] = []
        var exchangeToken: UInt32 = 1
        while out.count < count {
            exchangeToken += 1
            let underlying = underlyings[random.index(underlyings.count)]
            let roll = random.index(100)
            let (exchange, segment, segmentCode, type): (String, String, UInt32, String) =
                roll < 75 ? ("NFO", "NFO-OPT", 2, random.index(2) == 0 ? "CE" : "PE")
                : roll < 85 ? ("NFO", "NFO-FUT", 3, "FUT")
                : roll < 95 ? (random.index(2) == 0 ? "NSE" : "BSE", "NSE", 1, "EQ")
                : ("MCX", "MCX-FUT", 5, "FUT")
            let expiry = type == "EQ" ? nil : CalendarDay(rawValue: firstExpiry.rawValue + Int32(7 * random.index(20)))
            let strike = type == "CE" || type == "PE" ? Double(100 * (100 + random.index(400))) : 0
            var symbol = underlying
            if let expiry {
                let (y, m, _) = expiry.components
                symbol += "\(y % 100)\(months[m - 1])"
                if strike > 0 { symbol += String(Int(strike)) }
                symbol += type
            }
            out.append(Instrument(token: exchangeToken << 8 | segmentCode, exchangeToken: exchangeToken,
                                  tradingSymbol: symbol, name: underlying, expiry: expiry, strike: strike,
                                  tickSize: 0.05, lotSize: 25, instrumentType: type, segment: segment, exchange: exchange))
        }
        return out
    }
}
