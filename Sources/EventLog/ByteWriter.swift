/// Appends little-endian integers, LEB128 varints and length-prefixed strings to a byte array.
/// Owned by one thread at a time (a value type).
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    @inline(__always) public mutating func write(_ byte: UInt8) { bytes.append(byte) }

    public mutating func write(_ source: some Collection<UInt8>) { bytes.append(contentsOf: source) }

    @inline(__always) public mutating func writeLittleEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
    }

    /// Unsigned LEB128.
    @inline(__always) public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Zigzag-mapped signed LEB128, so small negative numbers stay short.
    @inline(__always) public mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A varint whose first byte also carries `prefixBits` (≤ 6) bits of `prefix` in its low bits.
    /// Used where a few flag bits ride along with a number that is usually small.
    @inline(__always) public mutating func writeVarint(_ value: UInt64, prefix: UInt8, prefixBits: Int) {
        let payloadBits = 7 - prefixBits
        let low = UInt8(truncatingIfNeeded: value & ((1 << UInt64(payloadBits)) - 1))
        let rest = value >> UInt64(payloadBits)
        let first = prefix | (low << UInt8(prefixBits))
        if rest == 0 {
            bytes.append(first)
        } else {
            bytes.append(first | 0x80)
            writeVarint(rest)
        }
    }

    public mutating func writeDouble(_ value: Double) { writeLittleEndian(value.bitPattern) }

    public mutating func writeBool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func writeBytes(_ value: [UInt8]) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
}

/// Reads what `ByteWriter` wrote from borrowed memory; every read is bounds-checked and throws
/// `ByteReader.Error` on truncated or malformed input, never traps. The memory must outlive the reader.
public struct ByteReader {
    public struct Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        public var position: Int
        public var reason: String
        public var description: String { "\(reason) at byte \(position)" }
    }

    private let base: UnsafeRawBufferPointer
    public private(set) var position: Int
    public let end: Int

    public init(_ base: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil) {
        self.base = base
        self.position = start
        self.end = end ?? base.count
    }

    public var remaining: Int { end - position }
    public var isAtEnd: Bool { position >= end }

    private func fail(_ reason: String) -> Error { Error(position: position, reason: reason) }

    @inline(__always) public mutating func readByte() throws(Error) -> UInt8 {
        guard position < end else { throw fail("unexpected end of data") }
        let b = base[position]
        position += 1
        return b
    }

    public mutating func readLittleEndian<T: FixedWidthInteger>(_: T.Type = T.self) throws(Error) -> T {
        let size = MemoryLayout<T>.size
        guard end - position >= size else { throw fail("unexpected end of data") }
        let value = base.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(littleEndian: value)
    }

    @inline(__always) public mutating func readVarint() throws(Error) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw fail("unexpected end of data in varint") }
            let b = base[position]
            position += 1
            if shift == 63 && b > 1 { throw fail("varint overflows 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw fail("varint longer than 10 bytes") }
        }
    }

    @inline(__always) public mutating func readSignedVarint() throws(Error) -> Int64 {
        let z = try readVarint()
        return Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
    }

    /// Reads what `writeVarint(_:prefix:prefixBits:)` wrote.
    @inline(__always) public mutating func readVarint(prefixBits: Int) throws(Error) -> (value: UInt64, prefix: UInt8) {
        let first = try readByte()
        let prefix = first & UInt8((1 << prefixBits) - 1)
        let payloadBits = 7 - prefixBits
        var value = UInt64((first & 0x7F) >> UInt8(prefixBits))
        if first & 0x80 != 0 {
            let rest = try readVarint()
            guard rest >> UInt64(64 - payloadBits) == 0 else { throw fail("prefixed varint overflows 64 bits") }
            value |= rest << UInt64(payloadBits)
        }
        return (value, prefix)
    }

    public mutating func readDouble() throws(Error) -> Double { Double(bitPattern: try readLittleEndian(UInt64.self)) }

    public mutating func readBool() throws(Error) -> Bool {
        switch try readByte() {
        case 0: return false
        case 1: return true
        default: throw fail("invalid boolean")
        }
    }

    private mutating func readLength() throws(Error) -> Int {
        let n = try readVarint()
        guard n <= UInt64(remaining) else { throw fail("length \(n) exceeds the \(remaining) bytes left") }
        return Int(n)
    }

    public mutating func readString() throws(Error) -> String {
        let n = try readLength()
        let slice = UnsafeRawBufferPointer(rebasing: base[position..<(position + n)])
        guard let s = String(validating: slice, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
        position += n
        return s
    }

    public mutating func readBytes() throws(Error) -> [UInt8] {
        let n = try readLength()
        let out = [UInt8](UnsafeRawBufferPointer(rebasing: base[position..<(position + n)]))
        position += n
        return out
    }

    /// Returns a reader over the next `count` bytes and moves this one past them.
    public mutating func split(count: Int) throws(Error) -> ByteReader {
        guard count >= 0, count <= remaining else { throw fail("cannot take \(count) bytes, \(remaining) left") }
        let sub = ByteReader(base, from: position, to: position + count)
        position += count
        return sub
    }

    /// Copies the next `count` bytes out.
    public mutating func readRaw(count: Int) throws(Error) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw fail("cannot read \(count) bytes, \(remaining) left") }
        let out = [UInt8](UnsafeRawBufferPointer(rebasing: base[position..<(position + count)]))
        position += count
        return out
    }

    /// Moves past `count` bytes.
    public mutating func skip(_ count: Int) throws(Error) {
        guard count >= 0, count <= remaining else { throw fail("cannot skip \(count) bytes") }
        position += count
    }
}
