/// The field map of each KiteTicker packet length, written from kite.md apart from the encoder, so a test can say
/// which field two packets differ in.
enum KiteWireFields {
    typealias Field = (name: String, bytes: Range<Int>)

    /// The fields of a packet of `length` bytes, in wire order; empty for an unknown length.
    static func fields(forLength length: Int) -> [Field] {
        var sizes: [(String, Int)] = [("instrument_token", 4), ("last_price", 4)]
        switch length {
        case 28, 32:
            sizes += ["ohlc.high", "ohlc.low", "ohlc.open", "ohlc.close", "change"].map { ($0, 4) }
            if length == 32 { sizes.append(("exchange_timestamp", 4)) }
        case 44, 184:
            sizes += ["last_quantity", "average_price", "volume", "buy_quantity", "sell_quantity",
                      "ohlc.open", "ohlc.high", "ohlc.low", "ohlc.close"].map { ($0, 4) }
            guard length == 184 else { break }
            sizes += ["last_trade_time", "oi", "oi_day_high", "oi_day_low", "exchange_timestamp"].map { ($0, 4) }
            for side in ["buy", "sell"] {
                for level in 0..<5 {
                    sizes += [("depth.\(side)[\(level)].quantity", 4), ("depth.\(side)[\(level)].price", 4),
                              ("depth.\(side)[\(level)].orders", 2), ("depth.\(side)[\(level)].padding", 2)]
                }
            }
        case 8:
            break
        default:
            return []
        }
        var offset = 0
        return sizes.map { name, size in
            defer { offset += size }
            return (name, offset..<offset + size)
        }
    }

    /// One line per field whose bytes differ, naming the field, its bytes and both values; empty when equal.
    static func differences(expected: [UInt8], actual: [UInt8]) -> [String] {
        var lines: [String] = []
        if expected.count != actual.count { lines.append("length: expected \(expected.count) bytes, got \(actual.count)") }
        for field in fields(forLength: expected.count) where field.bytes.upperBound <= actual.count {
            let want = Array(expected[field.bytes]), got = Array(actual[field.bytes])
            if want != got {
                lines.append("\(field.name) (bytes \(field.bytes)): expected \(describe(want)), got \(describe(got))")
            }
        }
        return lines
    }

    private static func describe(_ bytes: [UInt8]) -> String {
        let value = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return "\(value) (0x\(bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()))"
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
