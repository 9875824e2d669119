/// Reads big-endian integers off a byte slice, failing with the frame offset where the bytes ran out;
/// a value type owned by its caller.
struct BigEndianReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int
    /// The frame offset of the slice's first byte, so errors point into the whole message.
    private let base: Int

    init(_ bytes: ArraySlice<UInt8>, offset base: Int = 0) {
        self.bytes = bytes
        index = bytes.startIndex
        self.base = base
    }

    /// The frame offset of the next byte to read.
    var offset: Int { base + index - bytes.startIndex }

    var remaining: Int { bytes.endIndex - index }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(KiteError) -> T {
        let size = MemoryLayout<T>.size
        var value: T = 0
        for byte in try take(size) { value = value << 8 | T(byte) }
        return value
    }

    /// The next `count` bytes, as a slice of the original storage.
    mutating func take(_ count: Int) throws(KiteError) -> ArraySlice<UInt8> {
        guard count <= remaining else { throw .truncatedFrame(offset: offset, needed: count, available: remaining) }
        defer { index += count }
        return bytes[index..<index + count]
    }
}
