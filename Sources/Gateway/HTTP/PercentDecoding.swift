extension Substring {
    /// The text with `%XX` escapes decoded (RFC 3986 §2.1) and, with `plusAsSpace`, `+` read as a space (HTML form
    /// encoding of queries); nil when an escape is not `%` and two hex digits or the bytes decoded are not UTF-8.
    ///
    /// These are the answers Foundation's `removingPercentEncoding` gives, without bridging through `NSString`: it
    /// runs for every query parameter and path parameter of every request, where the bridge cost more than the
    /// handler's own work.
    func percentDecoded(plusAsSpace: Bool) -> String? {
        let plus = UInt8(ascii: "+"), percent = UInt8(ascii: "%")
        // Most parameters need no decoding; they are copied in one go.
        guard utf8.contains(where: { $0 == percent || (plusAsSpace && $0 == plus) }) else { return String(self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            utf8.formIndex(after: &index)
            if byte == percent {
                guard index != utf8.endIndex, case let high = utf8[index], high.isHexDigit else { return nil }
                utf8.formIndex(after: &index)
                guard index != utf8.endIndex, case let low = utf8[index], low.isHexDigit else { return nil }
                utf8.formIndex(after: &index)
                decoded.append(high.hexValue << 4 | low.hexValue)
            } else {
                decoded.append(plusAsSpace && byte == plus ? UInt8(ascii: " ") : byte)
            }
        }
        return String(validating: decoded, as: UTF8.self)
    }
}
