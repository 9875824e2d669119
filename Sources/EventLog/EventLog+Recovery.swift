import Glibc

extension EventLog {
    static let lockName = "tape.lock"

    /// Takes the single-writer lock, or names the process that holds it.
    static func acquireLock(_ directory: String) throws -> File {
        let file = try File(path: directory + "/" + lockName, flags: O_RDWR | O_CREAT)
        if flock(file.descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK else { throw LogError.system(operation: "flock", path: file.path, errno: code) }
            let text = String(decoding: (try? file.read(count: 32, at: 0)) ?? [], as: UTF8.self)
            throw LogError.locked(directory: directory, holderPID: Int32(text.trimmingWhitespace()))
        }
        try file.truncate(to: 0)
        try file.write(Array("\(getpid())\n".utf8), at: 0)
        return file
    }

    /// Segment base offsets in the directory, ascending.
    static func segmentBases(in directory: String) throws -> [UInt64] {
        try File.list(directory).compactMap(SegmentName.base(of:)).sorted()
    }

    /// Loads a sealed segment's index, rebuilding it from the batch headers if missing or stale.
    /// Returns whether it was rebuilt.
    static func ensureIndex(directory: String, base: UInt64, interval: Int64) throws -> Bool {
        let segmentPath = directory + "/" + SegmentName.segment(base)
        let indexPath = directory + "/" + SegmentName.index(base)
        let size = try File(path: segmentPath, flags: O_RDONLY).size()
        if let bytes = try? File(path: indexPath, flags: O_RDONLY).read(count: 64 << 20, at: 0),
           let index = SegmentIndex.decode(bytes, baseOffset: base), index.coveredLength == size {
            return false
        }
        let reader = SegmentReader(file: try File(path: segmentPath, flags: O_RDONLY), baseOffset: base)
        let index = try scanIndex(reader, size: size, interval: interval, isLast: false)
        try File.writeAtomically(index.encoded(), to: indexPath)
        return true
    }

    /// Walks the batch headers of a segment into an index. Damage throws for sealed segments;
    /// for the last one, an incomplete batch at the end just ends the scan (it is still being written).
    static func scanIndex(_ reader: SegmentReader, size: Int64, interval: Int64, isLast: Bool,
                          startingFrom start: SegmentIndex? = nil) throws -> SegmentIndex {
        var index = start ?? SegmentIndex(baseOffset: reader.baseOffset, interval: interval)
        var position = index.coveredLength
        while true {
            switch try reader.slot(at: position, fileSize: size) {
            case .end:
                return index
            case .incomplete(let reason):
                if isLast { return index }
                throw reader.corrupt(nil, at: position, reason)
            case .damaged(let reason):
                if isLast, try reader.nextValidHeader(after: position, fileSize: size) == nil { return index }
                throw reader.corrupt(nil, at: position, reason)
            case .batch(let header):
                guard header.baseOffset == index.endOffset else {
                    throw reader.corrupt(header, at: position, "batch starts at offset \(header.baseOffset), expected \(index.endOffset)")
                }
                index.add(header, at: position)
                position += header.totalLength
            }
        }
    }

    /// Validates every batch of the last segment, cutting a torn tail (damage that reaches the
    /// end of the file) and refusing damage with valid batches after it.
    static func recoverTail(_ file: File, base: UInt64, options: LogOptions,
                            report: inout RecoveryReport) throws -> (SegmentIndex, Int64) {
        let reader = SegmentReader(file: file, baseOffset: base)
        let size = try file.size()
        var index = SegmentIndex(baseOffset: base, interval: options.indexInterval)
        var position: Int64 = 0
        var damage: (reason: String, header: BatchHeader?)?
        scan: while true {
            switch try reader.slot(at: position, fileSize: size) {
            case .end:
                break scan
            case .incomplete(let reason):
                damage = (reason, nil)
                if case .batch(let h)? = try? reader.slot(at: position, fileSize: Int64.max) { damage?.header = h }
                break scan
            case .damaged(let reason):
                damage = (reason, nil)
                break scan
            case .batch(let header):
                if header.baseOffset != index.endOffset {
                    damage = ("batch starts at offset \(header.baseOffset), expected \(index.endOffset)", header)
                    break scan
                }
                if let problem = try reader.load(header, at: position) ?? reader.check(header) {
                    damage = (problem, header)
                    break scan
                }
                index.add(header, at: position)
                position += header.totalLength
            }
        }
        guard let damage else { return (index, position) }

        let isTorn = try reader.nextValidHeader(after: position, fileSize: size) == nil
        if !isTorn && !options.truncateAtDamage {
            throw reader.corrupt(damage.header, at: position, damage.reason + "; valid batches follow, so this is not a torn tail")
        }
        var dropped: UInt64 = 0
        var scanAt = position
        while case .batch(let h)? = try? reader.slot(at: scanAt, fileSize: Int64.max), scanAt < size {
            dropped += UInt64(h.count)
            scanAt += h.totalLength
        }
        report.truncatedBytes = size - position
        report.droppedEvents = dropped
        report.detail = "\(file.path) cut at byte \(position) (offset \(index.endOffset)): \(damage.reason)"
        try file.truncate(to: position)
        try file.synchronizeData()
        return (index, position)
    }

    /// Deletes the oldest sealed segments past the size or age limit; never the open one.
    func applyRetention(_ a: inout Appender) throws {
        let retention = options.retention
        guard retention.maxBytes != nil || retention.maxAge != nil else { return }
        var sizes: [(base: UInt64, size: Int64, maxTime: Timestamp?)] = []
        for base in a.sealed {
            let path = directory + "/" + SegmentName.segment(base)
            let size = try File(path: path, flags: O_RDONLY).size()
            let index = try? File(path: directory + "/" + SegmentName.index(base), flags: O_RDONLY).read(count: 64 << 20, at: 0)
            sizes.append((base, size, index.flatMap { SegmentIndex.decode($0, baseOffset: base) }?.maxTime))
        }
        var total = sizes.reduce(a.segmentSize) { $0 + $1.size }
        let now = options.clock()
        var removed = 0
        for segment in sizes {
            let tooBig = retention.maxBytes.map { total > $0 } ?? false
            let tooOld = retention.maxAge.map { age in
                segment.maxTime.map { now.rawValue - $0.rawValue > age.nanoseconds } ?? false
            } ?? false
            guard tooBig || tooOld else { break }
            try File.remove(directory + "/" + SegmentName.segment(segment.base))
            try File.remove(directory + "/" + SegmentName.index(segment.base))
            total -= segment.size
            removed += 1
        }
        a.sealed.removeFirst(removed)
    }
}

extension Duration {
    /// The whole duration in nanoseconds, saturating.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : scaled &+ attoseconds / 1_000_000_000
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
