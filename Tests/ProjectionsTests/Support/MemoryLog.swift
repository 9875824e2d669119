import EventLog
import Foundation

/// An in-memory `LogSource` for tests: appends from any thread, wakes `waitForEnd` through a condition variable.
final class MemoryLog: LogSource, @unchecked Sendable {
    private let condition = NSCondition()
    private var entries: [LogEntry] = []
    /// When set, `read` throws once it reaches this offset (a corrupt log).
    var corruptAt: UInt64?

    init(_ records: [Record] = []) {
        append(records)
    }

    func append(_ records: [Record]) {
        condition.lock()
        for record in records {
            entries.append(LogEntry(offset: UInt64(entries.count), time: record.time, event: record.event))
        }
        condition.broadcast()
        condition.unlock()
    }

    func append(_ event: Event, at seconds: Int64) {
        append([Record(time: Timestamp(nanoseconds: seconds * 1_000_000_000), event: event)])
    }

    func endOffset() throws -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return UInt64(entries.count)
    }

    func read(from offset: UInt64, limit: Int) throws -> [LogEntry] {
        condition.lock()
        defer { condition.unlock() }
        if let corruptAt, offset + UInt64(limit) > corruptAt {
            struct Corrupt: Error {}
            throw Corrupt()
        }
        guard offset < UInt64(entries.count) else { return [] }
        let end = min(entries.count, Int(offset) + limit)
        return Array(entries[Int(offset)..<end])
    }

    func waitForEnd(beyond offset: UInt64, timeout: Duration) throws -> UInt64 {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while UInt64(entries.count) <= offset {
            if !condition.wait(until: deadline) { break }
        }
        return UInt64(entries.count)
    }
}
