import EventLog
import Foundation

extension KiteInstrumentCSV {
    /// The instruments as a master file in the raw API form: Kite's column order, LF line
    /// ends, `name` always quoted, `0` for `last_price`, whole strikes without a decimal point.
    public static func encode(_ instruments: some Sequence<Instrument>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(instruments.underestimatedCount * 96 + 128)
        out.append(contentsOf: columns.joined(separator: ",").utf8)
        out.append(UInt8(ascii: "\n"))
        for instrument in instruments {
            appendField(String(instrument.token), to: &out)
            appendField(String(instrument.exchangeToken), to: &out)
            appendField(instrument.tradingSymbol, to: &out)
            appendField(instrument.name, alwaysQuoted: true, to: &out)
            appendField("0", to: &out)
            appendField(instrument.expiry.map(\.description) ?? "", to: &out)
            appendField(format(instrument.strike), to: &out)
            appendField(format(instrument.tickSize), to: &out)
            appendField(String(instrument.lotSize), to: &out)
            appendField(instrument.instrumentType, to: &out)
            appendField(instrument.segment, to: &out)
            appendField(instrument.exchange, isLast: true, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes `encode(instruments)` to `path`, replacing the file atomically.
    public static func write(_ instruments: some Sequence<Instrument>, toFile path: String) throws(InstrumentCSVError) {
        do {
            try Data(encode(instruments).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unwritable(path: path, reason: error.localizedDescription)
        }
    }

    /// The shortest text that reads back as the same `Double`; whole values print as integers.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// RFC 4180 §2 rule 6: quote a field holding a comma, quote or line break. Leading or
    /// trailing blanks are quoted too, because the reader trims unquoted fields.
    private static func appendField(
        _ text: String, alwaysQuoted: Bool = false, isLast: Bool = false, to out: inout [UInt8]
    ) {
        let utf8 = text.utf8
        let needsQuotes = alwaysQuoted
            || utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            || utf8.first == 0x20 || utf8.last == 0x20 || utf8.first == 0x09 || utf8.last == 0x09
        if needsQuotes {
            out.append(UInt8(ascii: "\""))
            for byte in utf8 {
                if byte == UInt8(ascii: "\"") { out.append(byte) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        } else {
            out.append(contentsOf: utf8)
        }
        out.append(isLast ? UInt8(ascii: "\n") : UInt8(ascii: ","))
    }
}
