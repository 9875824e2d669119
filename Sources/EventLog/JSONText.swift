/// Builds compact JSON text by hand: fast, allocation-light, and deterministic (fields in the
/// order written), which is what NDJSON dumps and byte-identical replays need.
/// A value type owned by one thread at a time.
public struct JSONText: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value at the current level needs a comma before it; the outer levels'
    /// flags wait in `outerNeedsComma`. A scalar for the current level keeps `separate()`, called
    /// for every value, free of array bounds and uniqueness checks.
    private var needsComma = false
    private var outerNeedsComma: [Bool] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        outerNeedsComma.append(needsComma)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = outerNeedsComma.popLast() ?? true
    }

    /// Writes `"name":` inside an object; the value follows.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func key(dynamic name: String) {
        separate()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func value(_ v: String) { separate(); appendQuoted(v) }
    public mutating func value(_ v: some BinaryInteger) {
        separate()
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        JSONText.appendDigits(UInt64(v.magnitude), to: &bytes)
    }
    public mutating func value(_ v: Bool) { separate(); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    public mutating func null() { separate(); bytes.append(contentsOf: "null".utf8) }

    /// Finite doubles in Swift's shortest round-trip form; NaN and infinities become null.
    public mutating func value(_ v: Double) {
        separate()
        guard v.isFinite else { bytes.append(contentsOf: "null".utf8); return }
        if v == v.rounded(), abs(v) < 1e15 { bytes.append(contentsOf: String(Int64(v)).utf8) } else { bytes.append(contentsOf: v.description.utf8) }
    }

    /// An exact decimal: `units / 10^decimals`, e.g. (152345, 2) → 1523.45.
    public mutating func decimal(_ units: Int64, decimals: UInt8) {
        separate()
        JSONText.appendDecimal(units, decimals: decimals, to: &bytes)
    }

    /// A timestamp as Unix seconds with up to nine exact fractional digits.
    public mutating func seconds(_ time: Timestamp) { decimal(time.rawValue, decimals: 9) }

    /// Writes text that is already valid JSON.
    public mutating func raw(_ json: String) { separate(); bytes.append(contentsOf: json.utf8) }

    /// Ends a line of NDJSON: the next value starts a new top-level document.
    public mutating func newline() {
        bytes.append(UInt8(ascii: "\n"))
        needsComma = false
        outerNeedsComma.removeAll(keepingCapacity: true)
    }
    public mutating func reset() { bytes.removeAll(keepingCapacity: true); needsComma = false; outerNeedsComma.removeAll(keepingCapacity: true) }

    public static func appendDecimal(_ units: Int64, decimals: UInt8, to bytes: inout [UInt8]) {
        if units < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = units.magnitude
        var divisor: UInt64 = 1
        for _ in 0..<decimals { divisor *= 10 }
        appendDigits(magnitude / divisor, to: &bytes)
        var fraction = magnitude % divisor
        guard fraction != 0 else { return }
        var digits = Int(decimals)
        while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        bytes.append(UInt8(ascii: "."))
        // The fraction's digits with its leading zeros (0.05 → "05"), most significant first.
        var scale: UInt64 = 1
        for _ in 1..<digits { scale *= 10 }
        while scale > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(fraction / scale))
            fraction %= scale
            scale /= 10
        }
    }

    @inline(__always)
    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    private mutating func appendQuoted(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            // Most strings need no escaping: copy them in one go.
            if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                bytes.append(contentsOf: utf8)
            } else {
                for byte in utf8 { appendEscaped(byte) }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
        case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
        case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
        case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
        case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
        case 0..<0x20:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
        default: bytes.append(byte)
        }
    }

    /// Decimal digits of an unsigned integer, without building a String.
    static func appendDigits(_ value: UInt64, to bytes: inout [UInt8]) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var v = value
            var i = 20
            while v > 0 {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i..<20]))
        }
    }
}
