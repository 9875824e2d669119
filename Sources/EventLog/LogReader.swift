import CSystem
import Glibc

/// Reads a log directory: by offset, by time, and as a live tail.
///
/// A reader made by `EventLog.makeReader()` sees exactly what its writer has made durable and
/// wakes on its appends; a reader opened on a directory (possibly written by another process)
/// sees every complete batch on disk and wakes through inotify. Either way no entry is skipped:
/// damage stops the read with the segment, byte position and offsets.
/// Safe to share between threads; reads on one reader are serialized.
public final class LogReader: LogSource, @unchecked Sendable {
    public let directory: String
    private let writer: EventLog?
    private let state = Monitor(State())
    private let watch = Monitor<Int32?>(nil)

    final class Segment {
        let base: UInt64
        let reader: SegmentReader
        var index: SegmentIndex
        var isSealed = false
        init(base: UInt64, reader: SegmentReader, index: SegmentIndex) {
            self.base = base
            self.reader = reader
            self.index = index
        }
    }

    struct State {
        var segments: [Segment] = []
    }

    /// Opens a reader on a directory written by this or another process.
    public convenience init(directory: String) throws {
        try self.init(directory: directory, writer: nil)
    }

    init(directory: String, writer: EventLog?) throws {
        self.directory = directory
        self.writer = writer
        guard File.exists(directory) else {
            throw LogError.system(operation: "open log directory", path: directory, errno: ENOENT)
        }
        try state.withLock { try refresh(&$0) }
    }

    deinit {
        if let fd = watch.withLock({ $0 }) { close(fd) }
    }

    // MARK: LogSource

    public func endOffset() throws -> UInt64 {
        if let writer { return writer.durableEnd }
        return try state.withLock { s in
            try refresh(&s)
            return s.segments.last?.index.endOffset ?? 0
        }
    }

    /// The first offset still on disk (retention may have removed older segments).
    public func startOffset() throws -> UInt64 {
        try state.withLock { s in
            try refresh(&s)
            return s.segments.first?.base ?? 0
        }
    }

    public func read(from offset: UInt64, limit: Int) throws -> [LogEntry] {
        var entries: [LogEntry] = []
        entries.reserveCapacity(min(limit, 4096))
        try scan(from: offset, limit: limit) { entries.append($0); return true }
        return entries
    }

    public func waitForEnd(beyond offset: UInt64, timeout: Duration) throws -> UInt64 {
        if let writer { return writer.waitForDurableEnd(beyond: offset, timeout: timeout) }
        let deadline = ContinuousClock.now + timeout
        let fd = try inotifyDescriptor()
        while true {
            let end = try endOffset()
            let left = deadline - ContinuousClock.now
            if end > offset || left <= .zero { return end }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(clamping: max(1, left.nanoseconds / 1_000_000))
            _ = retrying { poll(&pfd, 1, ms) }
            var drain = [UInt8](repeating: 0, count: 4096)
            while Glibc.read(fd, &drain, drain.count) > 0 {}
        }
    }

    // MARK: reading

    /// Calls `visit` for each entry from `offset` on, in log order, until `limit` entries, the
    /// visible end, or `visit` returning false.
    public func scan(from offset: UInt64, limit: Int = .max, _ visit: (LogEntry) throws -> Bool) throws {
        try walkBatches(from: offset, limit: limit) { segment, header, position, next, stop in
            var last = next
            let finished = try segment.reader.decode(header, at: position, from: next) { entry in
                guard entry.offset < stop else { return false }
                last = entry.offset + 1
                return try visit(entry)
            }
            return (last, finished || last >= stop)
        }
    }

    /// Calls `visit` for each entry of `type` whose time is at or after `time`, from `offset` on, in
    /// log order, until the visible end or `visit` returning false.
    ///
    /// Made for rare events in a log of ticks (the idempotency markers of the last day): index
    /// entries and batches whose events are all older than `time` are passed over unread, and
    /// records of other types inside the rest are skipped without being built.
    public func scan(only type: EventType, since time: Timestamp, from offset: UInt64 = 0,
                     _ visit: (LogEntry) throws -> Bool) throws {
        try walkBatches(from: offset, limit: .max, since: time) { segment, header, position, next, stop in
            var keepGoing = true
            let finished = try segment.reader.decode(header, at: position, from: next, only: EventTypeMask([type])) { entry in
                guard entry.offset < stop else { return false }
                guard entry.time >= time else { return true }
                keepGoing = try visit(entry)
                return keepGoing
            }
            return (keepGoing ? min(header.endOffset, stop) : next, finished || keepGoing)
        }
    }

    /// Calls `visit` for each entry whose type is in `types`, from `offset` on, in log order, until
    /// `limit` offsets (entries of every type count), the visible end, or `visit` returning false.
    /// Records of other types are skipped without being built: the rebuild of a projection that
    /// reads a few rare types walks a log of ticks at the speed of decompression.
    public func scan(from offset: UInt64, limit: Int = .max, only types: EventTypeMask, _ visit: (LogEntry) throws -> Bool) throws {
        try walkBatches(from: offset, limit: limit) { segment, header, position, next, stop in
            var keepGoing = true
            let finished = try segment.reader.decode(header, at: position, from: next, only: types) { entry in
                guard entry.offset < stop else { return false }
                keepGoing = try visit(entry)
                return keepGoing
            }
            return (keepGoing ? min(header.endOffset, stop) : next, finished || keepGoing)
        }
    }

    /// Records of other types are skipped unbuilt (`scan(from:limit:only:_:)`); the end is fixed
    /// before the scan, so every offset below `next` was looked at.
    public func read(from offset: UInt64, limit: Int, only types: EventTypeMask) throws -> (entries: [LogEntry], next: UInt64) {
        let end = min(try endOffset(), offset.addingReportingOverflow(UInt64(max(0, limit))).overflow ? .max : offset + UInt64(max(0, limit)))
        guard end > offset else { return ([], offset) }
        var entries: [LogEntry] = []
        try scan(from: offset, limit: Int(end - offset), only: types) { entries.append($0); return true }
        return (entries, end)
    }

    /// Like `scan(from:limit:only:_:)`, but v1 ticks go to `tick` as bare values, none built into
    /// an `Event` (whether or not `types` holds `.tick`): the rebuild's path for tick folds.
    public func scan(from offset: UInt64, limit: Int = .max, only types: EventTypeMask,
                     ticks tick: (UInt64, Timestamp, Tick) throws -> Bool, _ visit: (LogEntry) throws -> Bool) throws {
        try walkBatches(from: offset, limit: limit) { segment, header, position, next, stop in
            var keepGoing = true
            let finished = try segment.reader.decode(header, at: position, from: next, only: types, tick: { offset, time, t in
                guard offset < stop else { return false }
                keepGoing = try tick(offset, time, t)
                return keepGoing
            }, visit: { entry in
                guard entry.offset < stop else { return false }
                keepGoing = try visit(entry)
                return keepGoing
            })
            return (keepGoing ? min(header.endOffset, stop) : next, finished || keepGoing)
        }
    }

    /// Calls `visit` with each tick from `offset` on (other events are skipped unbuilt): the
    /// replay hot path for quotes, candles and backtests.
    public func scanTicks(from offset: UInt64, limit: Int = .max, _ visit: (UInt64, Timestamp, Tick) throws -> Bool) throws {
        try walkBatches(from: offset, limit: limit) { segment, header, position, next, stop in
            var keepGoing = true
            let finished = try segment.reader.decodeTicks(header, at: position, from: next, until: stop) { offset, time, tick in
                keepGoing = try visit(offset, time, tick)
                return keepGoing
            }
            return (keepGoing ? min(header.endOffset, stop) : next, finished || keepGoing)
        }
    }

    /// Loads each batch holding offsets in `offset..<offset+limit` (up to the visible end) and hands
    /// it to `body`, which decodes it and returns the next offset and whether to go on. With
    /// `since`, batches (and whole index entries) whose newest event is older are skipped unread.
    private func walkBatches(from offset: UInt64, limit: Int, since: Timestamp? = nil,
                             _ body: (Segment, BatchHeader, Int64, UInt64, UInt64) throws -> (next: UInt64, goOn: Bool)) throws {
        let end = try endOffset()
        guard offset < end, limit > 0 else { return }
        let stop = offset + UInt64(min(UInt64(limit), end - offset))
        try state.withLock { s in
            if s.segments.last.map({ $0.index.endOffset < stop }) ?? true { try refresh(&s) }
            guard let first = s.segments.first else { return }
            guard offset >= first.base else { throw LogError.offsetDeleted(requested: offset, firstRetained: first.base) }
            var i = segmentIndex(containing: offset, in: s.segments)
            var next = offset
            while next < stop && i < s.segments.count {
                let segment = s.segments[i]
                var position = segment.index.entry(containing: next)?.position ?? 0
                while position < segment.index.coveredLength && next < stop {
                    if let since, let span = segment.index.span(startingAt: position), span.maxTime < since {
                        position = span.endPosition
                        next = max(next, span.endOffset)
                        continue
                    }
                    guard case .batch(let header) = try segment.reader.slot(at: position, fileSize: segment.index.coveredLength) else {
                        throw segment.reader.corrupt(nil, at: position, "batch header is unreadable")
                    }
                    if let since, header.maxTime < since {
                        next = max(next, header.endOffset)
                    } else if header.endOffset > next {
                        if let problem = try segment.reader.load(header, at: position) {
                            throw segment.reader.corrupt(header, at: position, problem)
                        }
                        let (after, goOn) = try body(segment, header, position, next, stop)
                        next = after
                        if !goOn { return }
                    }
                    position += header.totalLength
                }
                i += 1
            }
            if next < stop {
                throw LogError.corrupt(segment: directory, position: 0, offsets: next...(stop - 1),
                                       reason: "offsets \(next)..<\(stop) are missing from the segments")
            }
        }
    }

    /// The first offset whose event time is at or after `time` (the end if none is).
    public func offset(atOrAfter time: Timestamp) throws -> UInt64 {
        let end = try endOffset()
        var found: UInt64?
        let candidates: [(UInt64, SegmentIndex.Entry)] = try state.withLock { s in
            try refresh(&s)
            return s.segments.compactMap { seg in seg.index.firstEntry(reaching: time).map { (seg.base, $0) } }
        }
        for (_, entry) in candidates {
            try scan(from: entry.baseOffset) { e in
                if e.time >= time { found = e.offset; return false }
                return true
            }
            if found != nil { break }
        }
        return min(found ?? end, end)
    }

    /// Entries from the first one at or after `time`, in log order.
    public func read(fromTime time: Timestamp, limit: Int) throws -> [LogEntry] {
        try read(from: offset(atOrAfter: time), limit: limit)
    }

    // MARK: segments

    private func segmentIndex(containing offset: UInt64, in segments: [Segment]) -> Int {
        max(0, segments.partitioningIndex { $0.base > offset } - 1)
    }

    /// Brings the segment list and the indexes up to date with the directory.
    private func refresh(_ s: inout State) throws {
        let bases = try EventLog.segmentBases(in: directory)
        let present = Set(bases)
        s.segments.removeAll { !present.contains($0.base) }
        let known = Set(s.segments.map(\.base))
        for base in bases where !known.contains(base) {
            let path = directory + "/" + SegmentName.segment(base)
            guard let file = try? File(path: path, flags: O_RDONLY) else { continue }
            var index = SegmentIndex(baseOffset: base)
            if base != bases.last,
               let bytes = try? File(path: directory + "/" + SegmentName.index(base), flags: O_RDONLY).read(count: 64 << 20, at: 0),
               let stored = SegmentIndex.decode(bytes, baseOffset: base), stored.coveredLength == (try? file.size()) {
                index = stored
            }
            s.segments.append(Segment(base: base, reader: SegmentReader(file: file, baseOffset: base), index: index))
        }
        s.segments.sort { $0.base < $1.base }
        for (i, segment) in s.segments.enumerated() where !segment.isSealed {
            let isLast = i == s.segments.count - 1
            // The writer's own readers stop at its last whole batch: past it a write may be under way.
            // They take the writer's index of what it has written (taken first, so it covers no
            // more than `size`) rather than walk the segment's headers.
            let written = segment.index.coveredLength == 0 ? writer?.writtenIndex(ofSegment: segment.base) : nil
            var size = try segment.reader.file.size()
            if let readable = writer?.readableLength(ofSegment: segment.base) { size = min(size, readable) }
            if let written, written.coveredLength <= size { segment.index = written }
            if segment.index.coveredLength < size {
                segment.index = try EventLog.scanIndex(segment.reader, size: size, interval: segment.index.interval,
                                                       isLast: isLast, writtenElsewhereIn: writer == nil ? directory : nil,
                                                       startingFrom: segment.index)
            }
            segment.isSealed = !isLast
        }
    }

    private func inotifyDescriptor() throws -> Int32 {
        try watch.withLock { fd in
            if let fd { return fd }
            let created = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard created >= 0 else { throw LogError.system(operation: "inotify_init1", path: directory, errno: errno) }
            let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)
            guard inotify_add_watch(created, directory, mask) >= 0 else {
                close(created)
                throw LogError.system(operation: "inotify_add_watch", path: directory, errno: errno)
            }
            fd = created
            return created
        }
    }
}
