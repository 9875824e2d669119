import Glibc

/// Offline checks and figures over a log directory: what `tape verify` and `tape log stats` print.
/// Reads files only; safe to run while a writer appends (it sees a prefix).
public enum LogInspector {
    /// One damaged place.
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        public var segment: String
        public var position: Int64
        public var offsets: ClosedRange<UInt64>?
        public var reason: String
        public var description: String {
            LogError.corrupt(segment: segment, position: position, offsets: offsets, reason: reason).description
        }
    }

    public struct Statistics: Equatable, Sendable {
        public var segments = 0
        public var batches = 0
        public var events: UInt64 = 0
        /// Segment and index files on disk.
        public var bytesOnDisk: Int64 = 0
        /// Uncompressed record bytes.
        public var rawBytes: Int64 = 0
        public var firstOffset: UInt64?
        public var lastOffset: UInt64?
        public var firstTime: Timestamp?
        public var lastTime: Timestamp?
        public var compressionRatio: Double {
            let compressed = bytesOnDisk
            return compressed > 0 ? Double(rawBytes) / Double(compressed) : 0
        }
    }

    public struct VerifyReport: Sendable {
        public var statistics = Statistics()
        public var problems: [Problem] = []
        /// Index files that are missing or do not match their segment (rebuilt on the next open).
        public var staleIndexes: [String] = []
        public var isClean: Bool { problems.isEmpty }
    }

    /// Checks every batch (header CRC, offsets, LZ4 block and content checksums, every record) and every index.
    public static func verify(directory: String) throws -> VerifyReport {
        var report = VerifyReport()
        try walk(directory: directory, checkFrames: true, into: &report)
        return report
    }

    /// Counts from the batch headers alone.
    public static func statistics(directory: String) throws -> Statistics {
        var report = VerifyReport()
        try walk(directory: directory, checkFrames: false, into: &report)
        return report.statistics
    }

    private static func walk(directory: String, checkFrames: Bool, into report: inout VerifyReport) throws {
        let bases = try EventLog.segmentBases(in: directory)
        var expected: UInt64? = nil
        for (i, base) in bases.enumerated() {
            let path = directory + "/" + SegmentName.segment(base)
            let file = try File(path: path, flags: O_RDONLY)
            let size = try file.size()
            let reader = SegmentReader(file: file, baseOffset: base)
            var stats = report.statistics
            stats.segments += 1
            stats.bytesOnDisk += size
            func problem(_ position: Int64, _ offsets: ClosedRange<UInt64>?, _ reason: String) {
                report.problems.append(Problem(segment: path, position: position, offsets: offsets, reason: reason))
            }
            if let expected, base != expected {
                problem(0, nil, "segment starts at offset \(base), the previous one ends at \(expected)")
            }
            var index = SegmentIndex(baseOffset: base)
            var next = base
            var position: Int64 = 0
            walking: while true {
                switch try reader.slot(at: position, fileSize: size) {
                case .end:
                    break walking
                case .incomplete(let reason), .damaged(let reason):
                    problem(position, nil, reason + (i == bases.count - 1 ? " (a torn tail is cut on the next open)" : ""))
                    guard let resume = try reader.nextValidHeader(after: position, fileSize: size) else { break walking }
                    position = resume
                case .batch(let h):
                    if h.baseOffset != next { problem(position, h.offsets, "batch starts at offset \(h.baseOffset), expected \(next)") }
                    if checkFrames, let reason = try reader.load(h, at: position) ?? reader.check(h) {
                        problem(position, h.offsets, reason)
                    }
                    index.add(h, at: position)
                    stats.batches += 1
                    stats.events += UInt64(h.count)
                    stats.rawBytes += Int64(h.rawLength)
                    stats.firstOffset = stats.firstOffset ?? h.baseOffset
                    stats.lastOffset = h.endOffset - 1
                    stats.firstTime = min(stats.firstTime ?? h.minTime, h.minTime)
                    stats.lastTime = max(stats.lastTime ?? h.maxTime, h.maxTime)
                    next = h.endOffset
                    position += h.totalLength
                }
            }
            expected = next
            let indexPath = directory + "/" + SegmentName.index(base)
            if let bytes = try? File(path: indexPath, flags: O_RDONLY).read(count: 64 << 20, at: 0) {
                stats.bytesOnDisk += Int64(bytes.count)
                if SegmentIndex.decode(bytes, baseOffset: base) != index.withInterval(of: bytes, base: base) {
                    report.staleIndexes.append(indexPath)
                }
            } else if i < bases.count - 1 {
                report.staleIndexes.append(indexPath)
            }
            report.statistics = stats
        }
    }
}

private extension SegmentIndex {
    /// This index rebuilt with the interval the stored one was written with, for comparison.
    func withInterval(of bytes: [UInt8], base: UInt64) -> SegmentIndex? {
        guard let stored = SegmentIndex.decode(bytes, baseOffset: base), stored.interval != interval else { return self }
        return stored  // different interval: compare coverage only
            .coveredLength == coveredLength && stored.endOffset == endOffset ? stored : nil
    }
}

extension LogInspector.Statistics {
    /// The JSON form printed by `tape log stats --json` and served at `GET /log/stats`.
    public var json: String {
        var j = JSONText()
        j.beginObject()
        j.key("segments"); j.value(segments)
        j.key("events"); j.value(events)
        j.key("bytes_on_disk"); j.value(bytesOnDisk)
        j.key("raw_bytes"); j.value(rawBytes)
        j.key("ratio"); j.value((compressionRatio * 1000).rounded() / 1000)
        j.key("first_offset"); if let v = firstOffset { j.value(v) } else { j.null() }
        j.key("last_offset"); if let v = lastOffset { j.value(v) } else { j.null() }
        j.key("first_time"); if let v = firstTime { j.seconds(v) } else { j.null() }
        j.key("last_time"); if let v = lastTime { j.seconds(v) } else { j.null() }
        j.endObject()
        return j.string
    }
}
