/// Where a page ended, pinned to the snapshot it came from; travels as opaque base64url text.
///
/// Layout: version `1`, as-of offset (UInt64 LE), token (UInt32 LE), trading symbol (UTF-8, rest).
struct CatalogCursor: Hashable, Sendable {
    var asOfOffset: UInt64
    var tradingSymbol: String
    var token: UInt32

    private static let layoutVersion: UInt8 = 1

    func encoded() -> String {
        var bytes: [UInt8] = [Self.layoutVersion]
        withUnsafeBytes(of: asOfOffset.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: token.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: tradingSymbol.utf8)
        return Base64URL.encode(bytes)
    }

    init(asOfOffset: UInt64, tradingSymbol: String, token: UInt32) {
        self.asOfOffset = asOfOffset
        self.tradingSymbol = tradingSymbol
        self.token = token
    }

    init(decoding text: String) throws(CatalogError) {
        guard let bytes = Base64URL.decode(text), bytes.count >= 13, bytes[0] == Self.layoutVersion,
              let symbol = String(validating: bytes[13...], as: UTF8.self) else {
            throw .invalidCursor(text)
        }
        var offset: UInt64 = 0
        for i in (1...8).reversed() { offset = offset << 8 | UInt64(bytes[i]) }
        var token: UInt32 = 0
        for i in (9...12).reversed() { token = token << 8 | UInt32(bytes[i]) }
        self.init(asOfOffset: offset, tradingSymbol: symbol, token: token)
    }
}

/// Base64 with the URL and filename safe alphabet, unpadded (RFC 4648 §5).
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var chunk = UInt32(bytes[i]) << 16
            if n > 1 { chunk |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { chunk |= UInt32(bytes[i + 2]) }
            for k in 0...n { out.append(alphabet[Int((chunk >> UInt32(18 - 6 * k)) & 63)]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            let v = values[Int(c)]
            guard v >= 0 else { return nil }
            buffer = buffer << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero, so every cursor has exactly one spelling.
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
