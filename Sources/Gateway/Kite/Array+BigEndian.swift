extension Array where Element == UInt8 {
    /// Appends an integer in network byte order, as every KiteTicker field is sent.
    @inline(__always) mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.bigEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }
}
