/// A growable byte buffer on manually managed memory, for building streaming messages: appends
/// are a bounds check and a `memcpy`, with no reference counting or uniqueness checks on the
/// hot path (millions of ticks a second go through one). A value whose memory is owned by
/// whoever created it: call `free()` exactly once; copies share the memory.
public struct ByteBuffer {
    public private(set) var base: UnsafeMutableRawPointer
    public private(set) var count = 0
    private var capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 1)
    }

    public func free() { base.deallocate() }

    public mutating func removeAll() { count = 0 }

    public mutating func append(_ byte: UInt8) {
        reserve(1)
        base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    public mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }

    public mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }

    /// Overwrites a byte already written.
    public mutating func set(_ byte: UInt8, at index: Int) {
        precondition(index < count, "ByteBuffer.set past the end")
        base.storeBytes(of: byte, toByteOffset: index, as: UInt8.self)
    }

    /// The bytes written, copied into an array (the one copy a message needs).
    public var bytes: [UInt8] { Array(UnsafeRawBufferPointer(start: base, count: count)) }

    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        var newCapacity = capacity * 2
        while newCapacity < count + extra { newCapacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 1)
        grown.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }
}
