import Foundation
import Glibc

/// The append side of a log directory: one writer per directory, guarded by `flock`.
///
/// Appends are serialized by `appendLock` (encode, compress, write); fdatasyncs are serialized
/// by `syncLock` so that appenders arriving during a sync share the next one (group commit).
/// Safe to use from any thread.
public final class EventLog: @unchecked Sendable {
    public let directory: String
    public let options: LogOptions
    /// What opening the directory found and repaired.
    public let recovery: RecoveryReport

    private let lockFile: File
    private let appendLock: Monitor<Appender>
    private let syncLock = Monitor(())
    private let progress: Monitor<Progress>

    struct Progress {
        /// One past the last offset written.
        var acceptedEnd: UInt64
        /// One past the last offset known durable under the configured policy.
        var durableEnd: UInt64
        var isClosed = false
        /// A failed fdatasync: the page cache can no longer be trusted, so appends stop.
        var failure: LogError?
        /// Why the last append could not be written (a full disk, say); cleared by the next one that is.
        var appendFailure: LogError?
        var appendedBytes: UInt64 = 0
        /// The open segment and where its last whole batch ends: bytes after it may be a batch
        /// being written, which this process's readers must not look at.
        var written: (segmentBase: UInt64, length: Int64)
    }

    struct Appender {
        var segment: File
        var segmentBase: UInt64
        /// Where the data ends: the next batch is written here.
        var segmentSize: Int64
        /// The file's real size: data, then a zero-filled region announced by a filler frame.
        var allocatedSize: Int64
        var index: SegmentIndex
        var nextOffset: UInt64
        var raw = ByteWriter(capacity: 1 << 16)
        var batch: [UInt8] = []
        let encoder = LZ4FrameEncoder()
        var sealed: [UInt64]
    }

    /// Opens (creating if needed) a log directory for appending, recovering a torn tail.
    public init(directory: String, options: LogOptions = LogOptions()) throws {
        self.directory = directory
        self.options = options
        try File.makeDirectory(directory)
        lockFile = try EventLog.acquireLock(directory)
        // A restore killed half way leaves a prefix of a log that must not pass for a whole one.
        if File.exists(directory + "/" + LogBackup.restoreMarker) {
            throw LogError.invalidArgument("\(directory) holds an interrupted restore (\(LogBackup.restoreMarker) is present): run tape restore again")
        }

        var report = RecoveryReport()
        var bases = try EventLog.segmentBases(in: directory)
        if bases.isEmpty {
            _ = try File(path: directory + "/" + SegmentName.segment(0), flags: O_RDWR | O_CREAT)
            try File.synchronizeDirectory(directory)
            bases = [0]
        }
        var movedAside: [UInt64] = []
        if options.truncateAtDamage {
            let kept = try EventLog.cutSealedDamage(directory: directory, bases: bases, options: options)
            movedAside = Array(bases.dropFirst(kept.count))
            bases = kept
        }
        for base in bases.dropLast() {
            if try EventLog.ensureIndex(directory: directory, base: base, interval: options.indexInterval) {
                report.rebuiltIndexes.append(SegmentName.index(base))
            }
        }
        let last = bases.last!
        let file = try File(path: directory + "/" + SegmentName.segment(last), flags: O_RDWR)
        let (index, size) = try EventLog.recoverTail(file, base: last, options: options, keepingCutBytes: !movedAside.isEmpty, report: &report)
        if !movedAside.isEmpty {
            report.detail = (report.detail ?? "") + "; segments \(movedAside.map(SegmentName.segment).joined(separator: ", ")) after the damage moved to \(directory)/\(EventLog.damagedFolder)/"
        }
        appendLock = Monitor(Appender(segment: file, segmentBase: last, segmentSize: size, allocatedSize: try file.size(), index: index,
                                      nextOffset: index.endOffset, sealed: Array(bases.dropLast())))
        progress = Monitor(Progress(acceptedEnd: index.endOffset, durableEnd: index.endOffset, written: (last, size)))
        recovery = report

        if case .interval(let ms) = options.durability {
            // Holds the log only while syncing, so an unclosed log can still be deinitialized.
            let thread = Thread { [weak self] in
                while true {
                    usleep(useconds_t(ms * 1000))
                    guard let log = self, !log.progress.withLock({ $0.isClosed }) else { return }
                    try? log.synchronize(upTo: log.progress.withLock { $0.acceptedEnd })
                }
            }
            thread.name = "tape-log-flusher"
            thread.start()
        }
    }

    deinit { try? close() }

    // MARK: appending

    /// Appends records as one batch and returns their offsets once durable per the policy.
    @discardableResult
    public func append(_ records: [Record]) throws -> ClosedRange<UInt64> {
        guard !records.isEmpty else { throw LogError.invalidArgument("an append needs at least one record") }
        guard records.count <= Int(UInt32.max) else { throw LogError.invalidArgument("too many records in one append") }
        if let failure = progress.withLock({ $0.isClosed ? LogError.closed : $0.failure }) { throw failure }

        let written: (range: ClosedRange<UInt64>, bytes: Int)
        do {
            written = try write(records)
        } catch let error as LogError where error.isSystemCallFailure {
            progress.update { $0.appendFailure = error }
            throw error
        }
        let range = written.range
        progress.update {
            $0.acceptedEnd = max($0.acceptedEnd, range.upperBound + 1)
            $0.appendedBytes += UInt64(written.bytes)
            $0.appendFailure = nil
            if options.durability == .never { $0.durableEnd = $0.acceptedEnd }
        }
        if options.durability == .always { try synchronize(upTo: range.upperBound + 1) }
        return range
    }

    /// Encodes, compresses and writes one batch (rolling the segment when it is full); on a failed
    /// write the segment is cut back to the last whole batch, so a later append starts clean.
    private func write(_ records: [Record]) throws -> (range: ClosedRange<UInt64>, bytes: Int) {
        try appendLock.withLock { (a: inout Appender) throws -> (ClosedRange<UInt64>, Int) in
            a.raw.bytes.removeAll(keepingCapacity: true)
            a.raw.bytes.reserveCapacity(records.count * 16)
            var previous = Timestamp.zero
            var minTime = records[0].time, maxTime = records[0].time
            for record in records {
                RecordCodec.encode(record, previousTime: &previous, into: &a.raw)
                minTime = min(minTime, record.time)
                maxTime = max(maxTime, record.time)
            }
            guard a.raw.count <= Int(UInt32.max) - 1024 else { throw LogError.invalidArgument("batch too large: \(a.raw.count) bytes") }
            let frameLength = a.raw.bytes.withUnsafeBytes { a.encoder.compress($0) }
            let header = BatchHeader(baseOffset: a.nextOffset, count: UInt32(records.count), minTime: minTime, maxTime: maxTime,
                                     frameLength: UInt32(frameLength), rawLength: UInt32(a.raw.count))
            a.batch.removeAll(keepingCapacity: true)
            a.batch.append(contentsOf: header.encoded())
            a.encoder.output.withUnsafeBytes { a.batch.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<frameLength])) }

            if a.segmentSize > 0 && a.segmentSize + Int64(a.batch.count) > options.segmentSize {
                try roll(&a)
            }
            do {
                try preallocate(&a, forBatchOf: Int64(a.batch.count))
                a.batch.append(contentsOf: Filler.header(length: a.allocatedSize - a.segmentSize - Int64(a.batch.count)))
                try a.segment.write(a.batch, at: a.segmentSize)
                a.batch.removeLast(Filler.headerSize)
            } catch {
                // Leave no partial batch behind: a later append (after space returns) starts clean.
                try? a.segment.truncate(to: a.segmentSize)
                a.allocatedSize = a.segmentSize
                throw error
            }
            a.index.add(header, at: a.segmentSize)
            a.segmentSize += Int64(a.batch.count)
            a.nextOffset = header.endOffset
            // Published before the lock is let go: whoever sees the new next offset (a group commit
            // making it durable) finds the batch's bytes readable. No waiter is woken for this.
            progress.withLock { $0.written = (a.segmentBase, a.segmentSize) }
            return (header.baseOffset...(header.endOffset - 1), a.batch.count)
        }
    }

    /// Makes everything below `end` durable with as few fdatasyncs as possible.
    private func synchronize(upTo end: UInt64) throws {
        try syncLock.withLock { (_: inout Void) throws in
            if let failure = progress.withLock({ $0.failure }) { throw failure }
            if progress.withLock({ $0.durableEnd }) >= end { return }
            let (file, target) = appendLock.withLock { ($0.segment, $0.nextOffset) }
            do {
                try file.synchronizeData()
            } catch let error as LogError {
                progress.update { $0.failure = error }
                throw error
            }
            progress.update { $0.durableEnd = max($0.durableEnd, target) }
        }
    }

    /// Makes room for a batch plus a filler header by writing zeros ahead of the data.
    ///
    /// Why: fdatasync of a file that grows must also commit its new size to the journal, which
    /// costs about three times an fdatasync of bytes overwritten in place. Writing real zeros
    /// ahead (not a sparse hole, whose blocks would still be allocated at sync time) keeps the
    /// size, and the metadata, unchanged for most appends. The zeros are announced by an LZ4
    /// skippable frame, so the segment stays a valid LZ4 stream for stock tools at all times.
    private func preallocate(_ a: inout Appender, forBatchOf length: Int64) throws {
        let needed = a.segmentSize + length + Int64(Filler.headerSize)
        guard needed > a.allocatedSize else { return }
        let target = min(max(needed, a.allocatedSize + Filler.chunk), max(needed, options.segmentSize + Int64(Filler.headerSize)))
        let zeros = [UInt8](repeating: 0, count: Int(target - a.allocatedSize))
        try a.segment.write(zeros, at: a.allocatedSize)
        a.allocatedSize = target
    }

    /// Cuts the zero-filled region off the open segment, leaving an exact LZ4 stream.
    private func trimPreallocation(_ a: inout Appender) throws {
        guard a.allocatedSize > a.segmentSize else { return }
        try a.segment.truncate(to: a.segmentSize)
        a.allocatedSize = a.segmentSize
    }

    /// Seals the current segment (fdatasync, index written) and starts the next.
    private func roll(_ a: inout Appender) throws {
        try trimPreallocation(&a)
        try a.segment.synchronizeData()
        try File.writeAtomically(a.index.encoded(), to: directory + "/" + SegmentName.index(a.segmentBase))
        let next = try makeNextSegment(base: a.nextOffset)
        try File.synchronizeDirectory(directory)
        a.sealed.append(a.segmentBase)
        a.segment = next
        a.segmentBase = a.nextOffset
        a.segmentSize = 0
        a.allocatedSize = 0
        a.index = SegmentIndex(baseOffset: a.nextOffset, interval: options.indexInterval)
        try applyRetention(&a)
    }

    /// Creates the segment a roll starts. An empty one left by a roll that failed after creating it
    /// (a full disk) is reused, so the retry can succeed; one holding data is never overwritten.
    private func makeNextSegment(base: UInt64) throws -> File {
        let path = directory + "/" + SegmentName.segment(base)
        do {
            return try File(path: path, flags: O_RDWR | O_CREAT | O_EXCL)
        } catch LogError.system(let operation, _, EEXIST) where operation == "open" {
            let existing = try File(path: path, flags: O_RDWR)
            guard try existing.size() == 0 else { throw LogError.system(operation: "open", path: path, errno: EEXIST) }
            return existing
        }
    }

    // MARK: state

    /// One past the last offset written (accepted).
    public var acceptedEnd: UInt64 { progress.withLock { $0.acceptedEnd } }
    /// One past the last durable offset; readers in this process see up to here.
    public var durableEnd: UInt64 { progress.withLock { $0.durableEnd } }
    /// Bytes appended since open.
    public var appendedBytes: UInt64 { progress.withLock { $0.appendedBytes } }
    /// Why appends are refused, if they are.
    public var failure: LogError? { progress.withLock { $0.failure } }
    /// Why the last append failed to write (it stored nothing; the next may succeed), if it did.
    public var appendFailure: LogError? { progress.withLock { $0.appendFailure } }

    /// Blocks until the durable end passes `offset` or `timeout` elapses; returns the durable end.
    public func waitForDurableEnd(beyond offset: UInt64, timeout: Duration?) -> UInt64 {
        progress.wait(until: { $0.durableEnd > offset || $0.isClosed }, timeout: timeout) { $0.durableEnd }
    }

    /// How many bytes of the segment starting at `base` this process's readers may look at: up to
    /// the end of its last whole batch when it is the open segment, none when it is newer (made by
    /// a roll whose first batch is still being written), nil when it is sealed (all of it).
    func readableLength(ofSegment base: UInt64) -> Int64? {
        progress.withLock { p in
            base == p.written.segmentBase ? p.written.length : base > p.written.segmentBase ? 0 : nil
        }
    }

    /// The open segment's index as far as it is written, when `base` is the open segment: this
    /// log's readers start from it instead of reading every batch header of the segment again.
    func writtenIndex(ofSegment base: UInt64) -> SegmentIndex? {
        appendLock.withLock { a in a.segmentBase == base ? a.index : nil }
    }

    /// A reader that sees exactly what this log has made durable and wakes on its appends.
    public func makeReader() throws -> LogReader { try LogReader(directory: directory, writer: self) }

    /// Syncs what was written, stops the flusher and releases the writer lock (when deinit runs).
    public func close() throws {
        guard !progress.withLock({ $0.isClosed }) else { return }
        try? synchronize(upTo: acceptedEnd)
        try? appendLock.withLock { a throws in
            try trimPreallocation(&a)
            try a.segment.synchronizeData()
        }
        progress.update { $0.isClosed = true }
        flock(lockFile.descriptor, LOCK_UN)
    }
}
