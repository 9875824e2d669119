import Glibc

/// Copies a log directory, for `tape backup` and `tape restore`, without taking the writer lock:
/// a writer in another process may go on appending while a backup copies.
///
/// What is copied is always a prefix of the log that ends at a batch boundary:
/// - sealed segments are immutable, so they are copied whole;
/// - the open segment is copied up to the end of its last complete batch whose header CRC, LZ4
///   block and content checksums and records all check out, after an fdatasync of the source that makes those
///   batches durable there. A batch the writer is still writing fails the checks and ends the copy;
///   damage followed by valid batches is corruption and stops the copy.
///
/// Every copied file is fdatasync'd, and each sealed segment gets an index rebuilt from the copy.
/// Stateless; safe to call from any thread.
public enum LogBackup {
    /// The file a restore keeps in the log directory until the restored log is verified; a writer
    /// refuses to open a directory that holds it.
    public static let restoreMarker = "restore.incomplete"

    /// One segment of a copy.
    public struct CopiedSegment: Equatable, Sendable {
        /// The segment's file name (its first offset, zero-padded).
        public var name: String
        public var firstOffset: UInt64
        /// One past its last offset.
        public var endOffset: UInt64
        /// Bytes copied: the whole file when sealed, the complete batches when open.
        public var bytes: Int64
    }

    /// What a copy holds.
    public struct Summary: Equatable, Sendable {
        public var segments: [CopiedSegment] = []
        /// The first offset copied (retention may have removed older segments).
        public var startOffset: UInt64 { segments.first?.firstOffset ?? 0 }
        /// One past the last offset copied.
        public var endOffset: UInt64 { segments.last?.endOffset ?? 0 }
        public var bytes: Int64 { segments.reduce(0) { $0 + $1.bytes } }
    }

    /// Copies the log in `source` (a writer may be appending to it) into the new directory
    /// `destination`, up to the end of the last complete, valid batch.
    public static func copy(from source: String, to destination: String) throws -> Summary {
        let bases = try EventLog.segmentBases(in: source)
        guard let last = bases.last else {
            throw LogError.invalidArgument("\(source) holds no log segments (*.seg): nothing to back up")
        }
        try File.makeDirectory(destination)
        var summary = Summary()
        for base in bases {
            let from = try openSegment(source, base)
            // Sealed segments never change (and were synced when sealed); the open one is cut at its last complete batch.
            var length = try from.size()
            if base == last {
                length = try completeBatches(of: SegmentReader(file: from, baseOffset: base)).coveredLength
                // The batches found were written before this sync, so it makes them durable in the source too:
                // a power loss there cannot take back an event the backup holds.
                try from.synchronizeData()
            }
            summary.segments.append(try copySegment(from, base: base, length: length, into: destination, isLast: base == last))
        }
        try File.synchronizeDirectory(destination)
        return summary
    }

    /// Copies every segment of a log that nobody appends to (a backup) into `destination`, which
    /// must hold no segment yet; the caller holds the destination's writer lock (`LogLock`).
    public static func restore(from source: String, to destination: String) throws -> Summary {
        guard try EventLog.segmentBases(in: destination).isEmpty else {
            throw LogError.invalidArgument("\(destination) already holds a log; restore only into a new or empty data directory")
        }
        var summary = Summary()
        let bases = try EventLog.segmentBases(in: source)
        for base in bases {
            let from = try openSegment(source, base)
            summary.segments.append(try copySegment(from, base: base, length: try from.size(), into: destination, isLast: base == bases.last))
        }
        try File.synchronizeDirectory(destination)
        return summary
    }

    private static func openSegment(_ directory: String, _ base: UInt64) throws -> File {
        let path = directory + "/" + SegmentName.segment(base)
        do {
            return try File(path: path, flags: O_RDONLY)
        } catch LogError.system(_, _, ENOENT) {
            throw LogError.invalidArgument("segment \(path) disappeared during the copy (retention removed it); run the backup again")
        }
    }

    /// Copies the first `length` bytes of a segment, syncs them, and indexes the copy, which also
    /// proves it is a whole number of valid batch headers. The index is written for sealed segments
    /// only: like the writer's open segment, the last one has none (a writer indexes it as it opens).
    private static func copySegment(_ from: File, base: UInt64, length: Int64, into directory: String,
                                    isLast: Bool) throws -> CopiedSegment {
        let name = SegmentName.segment(base)
        let to = try File(path: directory + "/" + name, flags: O_WRONLY | O_CREAT | O_EXCL)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var position: Int64 = 0
        while position < length {
            let wanted = Int(min(Int64(buffer.count), length - position))
            let n = try buffer.withUnsafeMutableBytes { try from.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<wanted]), at: position) }
            guard n == wanted else {
                throw LogError.invalidArgument("\(from.path) ended at byte \(position + Int64(n)) while \(length) bytes were being copied")
            }
            try buffer.withUnsafeBytes { try to.write(UnsafeRawBufferPointer(rebasing: $0[0..<n]), at: position) }
            position += Int64(n)
        }
        try to.synchronizeData()
        let copy = SegmentReader(file: try File(path: to.path, flags: O_RDONLY), baseOffset: base)
        let index = try EventLog.scanIndex(copy, size: length, interval: SegmentIndex.defaultInterval, isLast: false)
        if !isLast { try File.writeAtomically(index.encoded(), to: directory + "/" + SegmentName.index(base)) }
        return CopiedSegment(name: name, firstOffset: base, endOffset: index.endOffset, bytes: length)
    }

    /// Indexes the complete, valid batches at the start of a segment a writer may be appending to.
    ///
    /// Where the next batch is not whole and valid, it is either being written (it is the last
    /// thing in the file) or damaged. A valid batch header after it tells them apart: appends are
    /// serialized, so the writer finished this batch before it started any later one, and a second
    /// read of this batch now sees it whole. If that read still fails, the damage is real.
    static func completeBatches(of reader: SegmentReader) throws -> SegmentIndex {
        var index = SegmentIndex(baseOffset: reader.baseOffset)
        var position: Int64 = 0
        var rereadAt: Int64? = nil
        while true {
            let size = try reader.file.size()
            let slot = try reader.slot(at: position, fileSize: size)
            var problem: String
            switch slot {
            case .end, .incomplete:
                return index
            case .damaged(let reason):
                problem = reason
            case .batch(let header):
                if header.baseOffset != index.endOffset {
                    problem = "batch starts at offset \(header.baseOffset), expected \(index.endOffset)"
                } else if let reason = try reader.load(header, at: position) ?? reader.check(header) {
                    problem = reason
                } else {
                    index.add(header, at: position)
                    position += header.totalLength
                    rereadAt = nil
                    continue
                }
            }
            guard try reader.nextValidHeader(after: position, fileSize: size) != nil else { return index }
            if rereadAt == position {
                let header: BatchHeader? = if case .batch(let h) = slot { h } else { nil }
                throw reader.corrupt(header, at: position, problem + "; valid batches follow, so this is damage, not a batch being written")
            }
            rereadAt = position
        }
    }
}
