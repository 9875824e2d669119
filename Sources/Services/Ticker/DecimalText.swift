/// A decimal number as written in a request or file (`1523.45`, `-3`, `1.76e9`), kept as its
/// text so that it converts to minor units exactly, never through a binary double.
///
/// Grammar: `[+-]? digits? ("." digits?)? ([eE] [+-]? digits)?` with at least one digit before
/// the exponent — JSON numbers and the usual CSV spellings. A value type over borrowed bytes.
struct DecimalText: Sendable {
    /// The number's bytes, exactly as written.
    let bytes: ArraySlice<UInt8>
    let isNegative: Bool
    /// Where the digits are: integer part, fraction part (without the point).
    private let integerDigits: Range<Int>
    private let fractionDigits: Range<Int>
    /// The exponent, clamped to ±1,000,000 (anything that large is out of range anyway).
    private let exponent: Int

    /// What converting to an integer at some scale gave.
    enum Scaled: Equatable {
        case exact(Int64)
        /// Non-zero digits below the scale (`1.234` at 2 decimals).
        case tooPrecise
        /// Beyond ±`Int64.max` at that scale.
        case outOfRange
    }

    /// Parses `bytes`; nil unless all of them form a number.
    init?(_ bytes: ArraySlice<UInt8>) {
        var i = bytes.startIndex
        let end = bytes.endIndex
        var negative = false
        if i < end, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        let integerStart = i
        while i < end, Self.isDigit(bytes[i]) { i += 1 }
        let integer = integerStart..<i
        var fraction = i..<i
        if i < end, bytes[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < end, Self.isDigit(bytes[i]) { i += 1 }
            fraction = fractionStart..<i
        }
        guard !integer.isEmpty || !fraction.isEmpty else { return nil }
        var exponent = 0
        if i < end, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            var exponentNegative = false
            if i < end, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            let exponentStart = i
            while i < end, Self.isDigit(bytes[i]) {
                exponent = min(exponent * 10 + Int(bytes[i] - UInt8(ascii: "0")), 1_000_000)
                i += 1
            }
            guard i > exponentStart else { return nil }
            if exponentNegative { exponent = -exponent }
        }
        guard i == end else { return nil }
        self.bytes = bytes
        self.isNegative = negative
        self.integerDigits = integer
        self.fractionDigits = fraction
        self.exponent = exponent
    }

    /// Parses text; nil unless all of it is a number.
    init?(_ text: String) { self.init(ArraySlice(text.utf8)) }

    /// True when every digit is zero (`0`, `-0.00`, `0e5`).
    var isZero: Bool {
        !bytes[integerDigits].contains { $0 != UInt8(ascii: "0") } && !bytes[fractionDigits].contains { $0 != UInt8(ascii: "0") }
    }

    /// The number as written, for messages.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The value times 10^`decimals` as an integer. Digits below that scale make it `tooPrecise`,
    /// unless `truncating`, which drops them (rounding towards zero).
    func scaled(by decimals: Int, truncating: Bool = false) -> Scaled {
        // value = D × 10^(exponent − fraction count), where D is every digit in order; so the
        // result is D × 10^shift. A negative shift cuts that many digits off the end of D.
        let shift = decimals + exponent - fractionDigits.count
        let digitCount = integerDigits.count + fractionDigits.count
        let kept = digitCount + min(0, shift)
        var magnitude: Int64 = 0
        var position = 0
        var failure: Scaled?
        func take(_ index: Int) -> Bool {
            defer { position += 1 }
            let digit = Int64(bytes[index] - UInt8(ascii: "0"))
            if position >= kept {
                if digit != 0 && !truncating { failure = .tooPrecise }
                return failure == nil
            }
            let (times10, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(digit)
            if overflow || overflow2 { failure = .outOfRange }
            magnitude = sum
            return failure == nil
        }
        for index in integerDigits where !take(index) { return failure! }
        for index in fractionDigits where !take(index) { return failure! }
        if shift > 0 && magnitude != 0 {
            guard shift <= 18 else { return .outOfRange }
            var power: Int64 = 1
            for _ in 0..<shift { power *= 10 }
            let (product, overflow) = magnitude.multipliedReportingOverflow(by: power)
            if overflow { return .outOfRange }
            magnitude = product
        }
        return .exact(isNegative ? -magnitude : magnitude)
    }

    /// The value as a whole number, if it is one (`120`, `1.2e2`, `120.0`).
    var wholeNumber: Int64? {
        if case .exact(let value) = scaled(by: 0) { return value }
        return nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
