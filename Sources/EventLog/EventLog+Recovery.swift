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

    /// Whether a writer holds the directory's lock now (in this process or another). It probes with
    /// a shared lock let go at once, in which instant a writer starting would be refused, so it is
    /// asked only where a reader must tell a batch being written from damage.
    static func hasWriter(_ directory: String) -> Bool {
        guard let file = try? File(path: directory + "/" + lockName, flags: O_RDONLY) else { return false }
        guard flock(file.descriptor, LOCK_SH | LOCK_NB) != 0 else {
            flock(file.descriptor, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    /// Segment base offsets in the directory, ascending.
    public static func segmentBases(in directory: String) throws -> [UInt64] {
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
    /// `writtenElsewhereIn`: the log directory, when a writer in another process may be copying the
    /// last batch in right now (see `isBeingWritten`); such a batch is left for a later look.
    static func scanIndex(_ reader: SegmentReader, size: Int64, interval: Int64, isLast: Bool,
                          writtenElsewhereIn directory: String? = nil, startingFrom start: SegmentIndex? = nil) throws -> SegmentIndex {
        var index = start ?? SegmentIndex(baseOffset: reader.baseOffset, interval: interval)
        var position = index.coveredLength
        var rereadAt: Int64? = nil
        while true {
            switch try reader.slot(at: position, fileSize: size) {
            case .end:
                return index
            case .incomplete(let reason):
                if isLast { return index }
                throw reader.corrupt(nil, at: position, reason)
            case .damaged(let reason):
                if isLast, try reader.nextValidHeader(after: position, fileSize: size) == nil { return index }
                // Valid batches follow. A writer in another process may have been writing this one when it
                // was read; appends are serialized, so it has finished it since: read it once more.
                if isLast, directory != nil, rereadAt != position {
                    rereadAt = position
                    continue
                }
                throw reader.corrupt(nil, at: position, reason)
            case .batch(let header):
                guard header.baseOffset == index.endOffset else {
                    throw reader.corrupt(header, at: position, "batch starts at offset \(header.baseOffset), expected \(index.endOffset)")
                }
                if isLast, let directory, try isBeingWritten(header, at: position, reader, size: size, directory: directory) { return index }
                index.add(header, at: position)
                position += header.totalLength
            }
        }
    }

    /// Whether the open segment's batch at `position`, read beside a writer in another process, may
    /// still be being copied in: not when another batch follows it (appends are serialized, so it
    /// was finished first), nor when it checks out (header, LZ4 checksums, records), nor when no
    /// writer holds the lock (then a failed check is damage, and reading the batch reports it).
    private static func isBeingWritten(_ header: BatchHeader, at position: Int64, _ reader: SegmentReader, size: Int64,
                                       directory: String) throws -> Bool {
        if case .batch = try reader.slot(at: position + header.totalLength, fileSize: size) { return false }
        guard try reader.load(header, at: position) != nil else { return false }
        return hasWriter(directory)
    }

    /// Where a segment's first damage is: the batches before it (as an index), its position and why;
    /// `damage` is nil when every batch (header, LZ4 checksum, every record) checks out.
    struct Scan {
        var index: SegmentIndex
        var position: Int64
        var damage: (reason: String, header: BatchHeader?)?
        /// Whether the damage is a batch cut short by the end of the file, as a torn write leaves it.
        var isIncomplete = false
    }

    /// Checks every batch of a segment from its start and stops at the first damage.
    static func scanForDamage(_ reader: SegmentReader, size: Int64, interval: Int64) throws -> Scan {
        var scan = Scan(index: SegmentIndex(baseOffset: reader.baseOffset, interval: interval), position: 0)
        while true {
            switch try reader.slot(at: scan.position, fileSize: size) {
            case .end:
                return scan
            case .incomplete(let reason):
                scan.damage = (reason, nil)
                scan.isIncomplete = true
                if case .batch(let h)? = try? reader.slot(at: scan.position, fileSize: Int64.max) { scan.damage?.header = h }
                return scan
            case .damaged(let reason):
                scan.damage = (reason, nil)
                return scan
            case .batch(let header):
                if header.baseOffset != scan.index.endOffset {
                    scan.damage = ("batch starts at offset \(header.baseOffset), expected \(scan.index.endOffset)", header)
                    return scan
                }
                if let problem = try reader.load(header, at: scan.position) ?? reader.check(header) {
                    scan.damage = (problem, header)
                    return scan
                }
                scan.index.add(header, at: scan.position)
                scan.position += header.totalLength
            }
        }
    }

    /// Validates every batch of the last segment, cutting a torn tail (damage that reaches the
    /// end of the file) and refusing damage with valid batches after it, unless told to cut there
    /// (`truncateAtDamage`): then the bytes from the damage on are first kept in `damaged/`, as they are
    /// with `keepingCutBytes` (the segments after this one were moved aside, so nothing after it is valid here).
    static func recoverTail(_ file: File, base: UInt64, options: LogOptions, keepingCutBytes: Bool = false,
                            report: inout RecoveryReport) throws -> (SegmentIndex, Int64) {
        let reader = SegmentReader(file: file, baseOffset: base)
        let size = try file.size()
        let scan = try scanForDamage(reader, size: size, interval: options.indexInterval)
        let (index, position) = (scan.index, scan.position)
        guard let damage = scan.damage else { return (index, position) }

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
        if !isTorn || keepingCutBytes || !scan.isIncomplete {
            // Valid batches follow, or a whole batch fails its checks (a torn write leaves a short one): these bytes
            // may hold acknowledged events, so they are kept, never destroyed.
            let kept = try keepDamagedBytes(of: file, from: position, size: size)
            report.keptBytesPath = kept
        }
        try file.truncate(to: position)
        try file.synchronizeData()
        return (index, position)
    }

    /// The folder beside the segments where cut bytes are kept.
    public static let damagedFolder = "damaged"

    /// Copies a segment's bytes from `position` to `damaged/<segment>.from-<position>`, synced, and returns that path.
    static func keepDamagedBytes(of file: File, from position: Int64, size: Int64) throws -> String {
        let slash = file.path.lastIndex(of: "/") ?? file.path.startIndex
        let (directory, name) = (String(file.path[..<slash]), String(file.path[slash...].drop { $0 == "/" }))
        let folder = (directory.isEmpty ? "." : directory) + "/" + damagedFolder
        try File.makeDirectory(folder)
        let keptPath = folder + "/\(name).from-\(position)"
        let kept = try File(path: keptPath, flags: O_RDWR | O_CREAT | O_TRUNC)
        var at = position
        while at < size {
            let bytes = try file.read(count: Int(min(Int64(1 << 20), size - at)), at: at)
            guard !bytes.isEmpty else { break }
            try kept.write(bytes, at: at - position)
            at += Int64(bytes.count)
        }
        try kept.synchronizeData()
        try File.synchronizeDirectory(folder)
        return keptPath
    }

    /// With `truncateAtDamage`: checks every batch of the sealed segments and, at the first damage, moves the
    /// segments after it into `damaged/` whole and returns the bases that remain (the damaged one becomes the
    /// last, which `recoverTail` then cuts). Without damage it returns `bases` unchanged.
    static func cutSealedDamage(directory: String, bases: [UInt64], options: LogOptions) throws -> [UInt64] {
        for (i, base) in bases.dropLast().enumerated() {
            let path = directory + "/" + SegmentName.segment(base)
            let reader = SegmentReader(file: try File(path: path, flags: O_RDONLY), baseOffset: base)
            let scan = try scanForDamage(reader, size: try reader.file.size(), interval: options.indexInterval)
            guard scan.damage != nil else { continue }
            let folder = directory + "/" + damagedFolder
            try File.makeDirectory(folder)
            for later in bases[(i + 1)...] {
                guard rename(directory + "/" + SegmentName.segment(later), folder + "/" + SegmentName.segment(later)) == 0 else {
                    throw LogError.system(operation: "rename into \(folder)", path: directory + "/" + SegmentName.segment(later), errno: errno)
                }
                try? File.remove(directory + "/" + SegmentName.index(later))
            }
            try? File.remove(directory + "/" + SegmentName.index(base))
            try File.synchronizeDirectory(folder)
            try File.synchronizeDirectory(directory)
            return Array(bases[...i])
        }
        return bases
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
                segment.maxTime.map { Double(now.rawValue) - Double($0.rawValue) > Double(age.nanoseconds) } ?? false
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
