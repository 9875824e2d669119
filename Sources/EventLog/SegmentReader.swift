/// Reads the batches of one segment file: headers, frames and the records inside.
/// Owned by one thread at a time (it reuses its buffers and LZ4 context).
final class SegmentReader {
    let file: File
    let baseOffset: UInt64
    private var header = [UInt8](repeating: 0, count: BatchHeader.size)
    private var frame: [UInt8] = []
    private(set) var raw: [UInt8] = []
    private let decoder = LZ4FrameDecoder()

    init(file: File, baseOffset: UInt64) {
        self.file = file
        self.baseOffset = baseOffset
    }

    var name: String { file.path }

    /// What lies at a position of the segment.
    enum Slot {
        case batch(BatchHeader)
        /// Exactly at the end of the file.
        case end
        /// Fewer bytes than a whole batch before the end of the file (a torn or in-progress write).
        case incomplete(String)
        /// Not a valid batch header.
        case damaged(String)
    }

    func slot(at position: Int64, fileSize: Int64) throws -> Slot {
        if position >= fileSize { return .end }
        let n = try header.withUnsafeMutableBytes { try file.read(into: $0, at: position) }
        if n >= Filler.headerSize, header.withUnsafeBytes({ UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }) == Filler.magic {
            return .end  // preallocated space of the open segment
        }
        if fileSize - position < Int64(BatchHeader.size) { return .incomplete("\(fileSize - position) bytes, less than a batch header") }
        guard n == BatchHeader.size else { return .incomplete("short read") }
        let decoded = header.withUnsafeBytes { BatchHeader.decode($0) }
        switch decoded {
        case .failure(let problem):
            return .damaged("batch header \(problem)")
        case .success(let h):
            if h.count == 0 { return .damaged("batch header announces no events") }
            // LZ4 expands a byte into at most 255, so a larger raw length is damage; trusting it would allocate up to 4 GiB.
            if UInt64(h.rawLength) > UInt64(h.frameLength) * 255 + 64 {
                return .damaged("batch header announces \(h.rawLength) raw bytes from a \(h.frameLength)-byte LZ4 frame")
            }
            if position + h.totalLength > fileSize {
                return .incomplete("batch of \(h.totalLength) bytes runs past the end of the file (\(fileSize - position) bytes left)")
            }
            return .batch(h)
        }
    }

    /// Decompresses a batch and checks its records; nil on success, else why it is damaged.
    func load(_ h: BatchHeader, at position: Int64) throws -> String? {
        let frameLength = Int(h.frameLength)
        if frame.count < frameLength { frame = [UInt8](repeating: 0, count: max(frameLength, frame.count * 2)) }
        let n = try frame.withUnsafeMutableBytes { try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<frameLength]), at: position + Int64(BatchHeader.size)) }
        guard n == frameLength else { return "frame is truncated" }
        return frame.withUnsafeBytes { decoder.decompress(UnsafeRawBufferPointer(rebasing: $0[0..<frameLength]), rawLength: Int(h.rawLength), into: &raw) }
    }

    /// Decodes the records of the batch last loaded, calling `visit` from `offset` on until it returns false;
    /// with `types`, only records of those types are built and visited. Throws `LogError.corrupt` if the
    /// records do not match the header.
    func decode(_ h: BatchHeader, at position: Int64, from offset: UInt64, only types: EventTypeMask? = nil,
                visit: (LogEntry) throws -> Bool) throws -> Bool {
        try walkRecords(h, at: position) { reader, previous, current in
            let record = if let types {
                try RecordCodec.decode(from: &reader, previousTime: &previous, ifTypeIn: types)
            } else {
                try RecordCodec.decode(from: &reader, previousTime: &previous)
            }
            guard let record, current >= offset else { return true }
            return try visit(LogEntry(offset: current, time: record.time, event: record.event))
        }
    }

    /// Like `decode` with `types`, but v1 ticks go to `tick` as bare values (none is built into
    /// an `Event`), whatever `types` holds.
    func decode(_ h: BatchHeader, at position: Int64, from offset: UInt64, only types: EventTypeMask,
                tick: (UInt64, Timestamp, Tick) throws -> Bool, visit: (LogEntry) throws -> Bool) throws -> Bool {
        try walkRecords(h, at: position) { reader, previous, current in
            let decoded = try RecordCodec.decode(from: &reader, previousTime: &previous, ticksApartFrom: types)
            guard current >= offset else { return true }
            switch decoded {
            case .tick(let time, let t): return try tick(current, time, t)
            case .record(let record): return try visit(LogEntry(offset: current, time: record.time, event: record.event))
            case .skipped: return true
            }
        }
    }

    /// Like `decode`, but only for ticks: other records are skipped without being built.
    func decodeTicks(_ h: BatchHeader, at position: Int64, from offset: UInt64, until stop: UInt64,
                     visit: (UInt64, Timestamp, Tick) throws -> Bool) throws -> Bool {
        try walkRecords(h, at: position) { reader, previous, current in
            guard let (time, tick) = try RecordCodec.decodeTick(from: &reader, previousTime: &previous), current >= offset else { return true }
            return current < stop ? try visit(current, time, tick) : false
        }
    }

    /// Walks the records of the batch last loaded: `record` reads the one at the reader (moving
    /// past it) given the previous record's time and its own offset, and says whether to go on.
    /// Returns false if it stopped early; throws `LogError.corrupt` if the records do not match the header.
    @inline(__always)
    private func walkRecords(_ h: BatchHeader, at position: Int64,
                             _ record: (inout ByteReader, inout Timestamp, UInt64) throws -> Bool) throws -> Bool {
        try raw.withUnsafeBytes { buffer in
            var reader = ByteReader(UnsafeRawBufferPointer(rebasing: buffer[0..<Int(h.rawLength)]))
            var previous = Timestamp.zero
            var current = h.baseOffset
            do {
                while !reader.isAtEnd {
                    guard try record(&reader, &previous, current) else { return false }
                    current += 1
                }
            } catch let error as ByteReader.Error {
                throw corrupt(h, at: position, "record \(current): \(error)")
            }
            guard current == h.endOffset else {
                throw corrupt(h, at: position, "batch holds \(current - h.baseOffset) records, its header announces \(h.count)")
            }
            return true
        }
    }

    /// Counts and checks the records of the batch last loaded without materializing events.
    func check(_ h: BatchHeader) -> String? {
        raw.withUnsafeBytes { buffer in
            var reader = ByteReader(UnsafeRawBufferPointer(rebasing: buffer[0..<Int(h.rawLength)]))
            var previous = Timestamp.zero
            var count: UInt32 = 0
            do {
                while !reader.isAtEnd {
                    let record = try RecordCodec.decode(from: &reader, previousTime: &previous)
                    if record.time < h.minTime || record.time > h.maxTime { return "record \(h.baseOffset + UInt64(count)) has a time outside the header's range" }
                    count += 1
                }
            } catch {
                return "record \(h.baseOffset + UInt64(count)): \(error)"
            }
            return count == h.count ? nil : "batch holds \(count) records, its header announces \(h.count)"
        }
    }

    func corrupt(_ h: BatchHeader?, at position: Int64, _ reason: String) -> LogError {
        .corrupt(segment: name, position: position, offsets: h?.offsets, reason: reason)
    }

    /// Looks for the next valid batch header after `position`: evidence that damage there is
    /// not a torn tail but corruption in the middle of the log.
    func nextValidHeader(after position: Int64, fileSize: Int64) throws -> Int64? {
        var start = position + 1
        let chunk = 1 << 20
        while start < fileSize {
            let bytes = try file.read(count: min(chunk + BatchHeader.size, Int(fileSize - start)), at: start)
            guard bytes.count >= BatchHeader.size else { return nil }
            let found: Int? = bytes.withUnsafeBytes { raw in
                var i = 0
                while i + BatchHeader.size <= raw.count {
                    if raw[i] == 0x50, raw[i + 1] == 0x2A, raw[i + 2] == 0x4D, raw[i + 3] == 0x18,
                       case .success = BatchHeader.decode(UnsafeRawBufferPointer(rebasing: raw[i..<(i + BatchHeader.size)])) {
                        return i
                    }
                    i += 1
                }
                return nil
            }
            if let found { return start + Int64(found) }
            start += Int64(chunk)
        }
        return nil
    }
}
