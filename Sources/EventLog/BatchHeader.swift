/// The header written before every batch as an LZ4 skippable frame (LZ4 frame format §
/// "Skippable Frames"), so that stock `lz4 -dc` skips it and prints the records:
///
///     magic 0x184D2A50 (u32 LE) · size 44 (u32 LE) · body:
///     format u8 · flags u8 · reserved u16 · base offset u64 · event count u32 ·
///     min time i64 · max time i64 · LZ4 frame length u32 · raw length u32 · CRC32C(body[0..<40]) u32
///
/// The LZ4 frame of the records follows immediately, `frameLength` bytes long.
public struct BatchHeader: Equatable, Sendable {
    public static let magic: UInt32 = 0x184D_2A50
    public static let bodySize = 44
    public static let size = 8 + bodySize
    public static let formatVersion: UInt8 = 1

    public var baseOffset: UInt64
    public var count: UInt32
    public var minTime: Timestamp
    public var maxTime: Timestamp
    public var frameLength: UInt32
    public var rawLength: UInt32

    public init(baseOffset: UInt64, count: UInt32, minTime: Timestamp, maxTime: Timestamp, frameLength: UInt32, rawLength: UInt32) {
        self.baseOffset = baseOffset
        self.count = count
        self.minTime = minTime
        self.maxTime = maxTime
        self.frameLength = frameLength
        self.rawLength = rawLength
    }

    /// The offsets this batch holds.
    public var offsets: ClosedRange<UInt64> { baseOffset...(baseOffset + UInt64(max(count, 1)) - 1) }
    public var endOffset: UInt64 { baseOffset + UInt64(count) }
    /// Header plus frame: how far the next batch starts.
    public var totalLength: Int64 { Int64(BatchHeader.size) + Int64(frameLength) }

    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: BatchHeader.size)
        w.writeLittleEndian(BatchHeader.magic)
        w.writeLittleEndian(UInt32(BatchHeader.bodySize))
        w.write(BatchHeader.formatVersion)
        w.write(0)
        w.writeLittleEndian(UInt16(0))
        w.writeLittleEndian(baseOffset)
        w.writeLittleEndian(count)
        w.writeLittleEndian(minTime.rawValue)
        w.writeLittleEndian(maxTime.rawValue)
        w.writeLittleEndian(frameLength)
        w.writeLittleEndian(rawLength)
        let crc = w.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[8..<48])) }
        w.writeLittleEndian(crc)
        return w.bytes
    }

    /// Why `decode` refused a header.
    public enum Problem: Error, Equatable, Sendable {
        case truncated
        case notAHeader
        case checksumMismatch
        case unsupportedVersion(UInt8)
    }

    /// Parses and checks a header from the first `BatchHeader.size` bytes.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> Result<BatchHeader, Problem> {
        guard bytes.count >= size else { return .failure(.truncated) }
        var r = ByteReader(bytes)
        do throws(ByteReader.Error) {
            guard try r.readLittleEndian(UInt32.self) == magic, try r.readLittleEndian(UInt32.self) == UInt32(bodySize) else {
                return .failure(.notAHeader)
            }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[8..<48]))
            let stored = bytes.loadUnaligned(fromByteOffset: 48, as: UInt32.self)
            guard crc == UInt32(littleEndian: stored) else { return .failure(.checksumMismatch) }
            let version = try r.readByte()
            guard version == formatVersion else { return .failure(.unsupportedVersion(version)) }
            try r.skip(3)
            return .success(BatchHeader(
                baseOffset: try r.readLittleEndian(), count: try r.readLittleEndian(),
                minTime: Timestamp(rawValue: try r.readLittleEndian()), maxTime: Timestamp(rawValue: try r.readLittleEndian()),
                frameLength: try r.readLittleEndian(), rawLength: try r.readLittleEndian()))
        } catch {
            return .failure(.truncated)
        }
    }
}

/// The skippable frame that announces the zero-filled space preallocated after the data of the
/// open segment (magic 0x184D2A51, then the length of the zeros that follow). Readers treat it
/// as the end of the data; `lz4 -dc` skips it.
public enum Filler {
    public static let magic: UInt32 = 0x184D_2A51
    public static let headerSize = 8
    /// How much is preallocated at a time. The append that writes the zeros, and the group
    /// commit's fdatasync that follows, wait for them: 8 MiB at a time cost a fifth of the
    /// append throughput (`tape-bench log`); 1 MiB costs a few milliseconds per megabyte logged.
    public static let chunk: Int64 = 1 << 20

    static func header(length: Int64) -> [UInt8] {
        var w = ByteWriter(capacity: headerSize)
        w.writeLittleEndian(magic)
        w.writeLittleEndian(UInt32(clamping: max(0, length)))
        return w.bytes
    }
}
