/// A sparse index of one segment: an entry every `interval` bytes of batches, each with the
/// first offset and file position of its first batch and the time range of the batches it covers.
/// Rebuildable from the segment at any time, so it is written without fsync.
public struct SegmentIndex: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var baseOffset: UInt64
        public var position: Int64
        public var minTime: Timestamp
        public var maxTime: Timestamp
    }

    public static let defaultInterval: Int64 = 4096
    private static let magic: UInt32 = 0x5844_4954  // "TIDX"

    public let baseOffset: UInt64
    public private(set) var entries: [Entry] = []
    /// Bytes of the segment the index covers (the end of its last batch).
    public private(set) var coveredLength: Int64 = 0
    /// One past the last offset covered.
    public private(set) var endOffset: UInt64
    public let interval: Int64

    public init(baseOffset: UInt64, interval: Int64 = SegmentIndex.defaultInterval) {
        self.baseOffset = baseOffset
        self.endOffset = baseOffset
        self.interval = interval
    }

    /// Records the batch at `position`, which must directly follow the covered part.
    public mutating func add(_ header: BatchHeader, at position: Int64) {
        if let last = entries.last, position - last.position < interval {
            entries[entries.count - 1].minTime = min(last.minTime, header.minTime)
            entries[entries.count - 1].maxTime = max(last.maxTime, header.maxTime)
        } else {
            entries.append(Entry(baseOffset: header.baseOffset, position: position, minTime: header.minTime, maxTime: header.maxTime))
        }
        coveredLength = position + header.totalLength
        endOffset = header.endOffset
    }

    /// The entry to start scanning from to find `offset`: the last one at or before it.
    public func entry(containing offset: UInt64) -> Entry? {
        let after = entries.partitioningIndex { $0.baseOffset > offset }
        return after == 0 ? nil : entries[after - 1]
    }

    /// The batches of the entry that starts at `position`, if one does: their newest event time,
    /// and where the next entry (or the covered part) starts, in bytes and offsets.
    public func span(startingAt position: Int64) -> (maxTime: Timestamp, endPosition: Int64, endOffset: UInt64)? {
        let low = entries.partitioningIndex { $0.position >= position }
        guard low < entries.count, entries[low].position == position else { return nil }
        let next = low + 1 < entries.count ? entries[low + 1] : nil
        return (entries[low].maxTime, next?.position ?? coveredLength, next?.baseOffset ?? endOffset)
    }

    /// The first entry whose batches may hold a time at or after `time`.
    public func firstEntry(reaching time: Timestamp) -> Entry? {
        entries.first { $0.maxTime >= time }
    }

    public var minTime: Timestamp? { entries.map(\.minTime).min() }
    public var maxTime: Timestamp? { entries.map(\.maxTime).max() }

    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 40 + entries.count * 32)
        w.writeLittleEndian(SegmentIndex.magic)
        w.writeLittleEndian(UInt32(1))
        w.writeLittleEndian(baseOffset)
        w.writeLittleEndian(coveredLength)
        w.writeLittleEndian(endOffset)
        w.writeLittleEndian(interval)
        w.writeLittleEndian(UInt32(entries.count))
        for e in entries {
            w.writeLittleEndian(e.baseOffset)
            w.writeLittleEndian(e.position)
            w.writeLittleEndian(e.minTime.rawValue)
            w.writeLittleEndian(e.maxTime.rawValue)
        }
        w.writeLittleEndian(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    /// Parses an `.idx` file; nil if it is damaged or not for this segment (then it is rebuilt).
    public static func decode(_ bytes: [UInt8], baseOffset: UInt64) -> SegmentIndex? {
        guard bytes.count >= 48 else { return nil }
        return bytes.withUnsafeBytes { raw -> SegmentIndex? in
            let body = UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 4)])
            guard CRC32C.checksum(body) == UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self)) else { return nil }
            var r = ByteReader(body)
            do throws(ByteReader.Error) {
                guard try r.readLittleEndian(UInt32.self) == magic, try r.readLittleEndian(UInt32.self) == 1,
                      try r.readLittleEndian(UInt64.self) == baseOffset else { return nil }
                let covered: Int64 = try r.readLittleEndian()
                let end: UInt64 = try r.readLittleEndian()
                var index = SegmentIndex(baseOffset: baseOffset, interval: try r.readLittleEndian())
                let count: UInt32 = try r.readLittleEndian()
                guard Int(count) * 32 == r.remaining else { return nil }
                for _ in 0..<count {
                    index.entries.append(Entry(baseOffset: try r.readLittleEndian(), position: try r.readLittleEndian(),
                                               minTime: Timestamp(rawValue: try r.readLittleEndian()),
                                               maxTime: Timestamp(rawValue: try r.readLittleEndian())))
                }
                index.coveredLength = covered
                index.endOffset = end
                return index
            } catch {
                return nil
            }
        }
    }
}

/// File names of segments and indexes: the first offset, zero-padded to 20 digits.
public enum SegmentName {
    public static func segment(_ base: UInt64) -> String { padded(base) + ".seg" }
    public static func index(_ base: UInt64) -> String { padded(base) + ".idx" }

    /// The base offset of a segment file name, or nil for any other file.
    public static func base(of name: String) -> UInt64? {
        guard name.hasSuffix(".seg"), name.count == 24 else { return nil }
        return UInt64(name.prefix(20))
    }

    private static func padded(_ n: UInt64) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s
    }
}
