/// One tick item as it was written, before validation: what JSON objects and CSV rows share.
/// A value type built and consumed by one parse.
struct TickFields {
    /// One field's value.
    enum Value {
        /// Not given (also JSON `null` and an empty CSV cell).
        case absent
        case number(DecimalText)
        /// Something else, described for a message: `a string "abc"`, `true`, `an object`.
        case notANumber(String)
    }

    var token = Value.absent
    var price = Value.absent
    var volume = Value.absent
    var time = Value.absent
    var openInterest = Value.absent
    var bid = Value.absent
    var ask = Value.absent
    /// Problems with the item's shape (unknown or repeated fields), reported first.
    var problems: [String] = []
    /// Why the item is not an object at all; then it has no fields to judge.
    var notAnObject: String?

    /// Field names as requests and files spell them, in the order messages list them.
    static let names = ["token", "price", "volume", "time", "oi", "bid", "ask"]

    /// The field called `name`, if there is one.
    static func field(named name: some Collection<UInt8>) -> WritableKeyPath<TickFields, Value>? {
        switch String(decoding: name, as: UTF8.self) {
        case "token": \.token
        case "price": \.price
        case "volume": \.volume
        case "time": \.time
        case "oi": \.openInterest
        case "bid": \.bid
        case "ask": \.ask
        default: nil
        }
    }

    /// The value of CSV cell text: empty is absent; anything that is not a number is described.
    static func value(ofCell text: ArraySlice<UInt8>) -> Value {
        if text.isEmpty { return .absent }
        if let number = DecimalText(text) { return .number(number) }
        return .notANumber("\"\(quoted(text))\"")
    }

    /// At most 40 characters of untrusted text, control characters escaped, for quoting in a message.
    static func quoted(_ text: some Collection<UInt8>) -> String {
        var quoted = ""
        for (count, scalar) in String(decoding: text.prefix(160), as: UTF8.self).unicodeScalars.enumerated() {
            if count == 40 { return quoted + "…" }
            switch scalar {
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: quoted += "\\u{\(String(scalar.value, radix: 16))}"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted
    }
}
