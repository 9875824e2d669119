import Dispatch
import EventLog
import Foundation
import Synchronization
import TapeTestSupport
import Testing

@Suite struct ConcurrentTailTests {
    /// Readers of the writer's own process tail the log while batches are written into the open
    /// segment's preallocated space. A batch being written is half there for a moment (its
    /// header but not yet the bytes after it); a reader must never look at it, or it reads
    /// damage where there is none, and the server's projections stop on it. In one segment, and
    /// across segment rolls (a new segment's first batch is as fresh as any).
    @Test(arguments: [64 << 20, 64 << 10])
    func readersInTheWritersProcessNeverSeeABatchBeingWritten(segmentSize: Int64) throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log, options: LogOptions(segmentSize: segmentSize, durability: .never))
        try tail(log, events: 400_000, appenders: 1)
    }

    /// With group commit and several appenders, an fdatasync makes durable every batch written
    /// before it started, some of them by appenders that have not returned yet: the readers may
    /// read all of those at once, and must find every one.
    @Test func readersFindEveryBatchAGroupCommitMadeDurable() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log, options: LogOptions(durability: .always))
        try tail(log, events: 40_000, appenders: 3)
    }

    /// Appends `events` ticks in batches of 5 from `appenders` threads while three readers of the
    /// log's own process tail it; every reader must read every offset once, in order.
    private func tail(_ log: EventLog, events total: UInt64, appenders: Int) throws {
        let batch: UInt64 = 5
        let failures = Mutex<[String]>([])
        let done = DispatchGroup()
        for r in 0..<3 {
            let reader = try log.makeReader()
            done.enter()
            Thread {
                defer { done.leave() }
                var seen: UInt64 = 0
                do {
                    while seen < total {
                        let end = try reader.waitForEnd(beyond: seen, timeout: .seconds(20))
                        guard end > seen else { throw LogError.invalidArgument("no progress past \(seen) in 20 s") }
                        for entry in try reader.read(from: seen, limit: Int(end - seen)) {
                            guard entry.offset == seen else {
                                throw LogError.invalidArgument("got offset \(entry.offset) where \(seen) was due")
                            }
                            seen += 1
                        }
                    }
                } catch {
                    failures.withLock { $0.append("reader \(r) at offset \(seen): \(error)") }
                }
            }.start()
        }
        let appended = DispatchGroup()
        for a in 0..<UInt64(appenders) {
            appended.enter()
            Thread {
                defer { appended.leave() }
                do {
                    for first in stride(from: a * batch, to: total, by: Int(batch) * appenders) {
                        try log.append(tickRecords(first..<first + batch))
                    }
                } catch {
                    failures.withLock { $0.append("appender \(a): \(error)") }
                }
            }.start()
        }
        #expect(appended.wait(timeout: .now() + 60) == .success, "appenders did not finish within 60 s")
        #expect(done.wait(timeout: .now() + 60) == .success, "readers did not finish within 60 s")
        #expect(failures.withLock { $0 } == [])
        #expect(log.acceptedEnd == total)
    }
}

extension ConcurrentTailTests {
    /// A reader opened on the directory (a `tape replay` beside a running server) tails appends
    /// from another process, across segment rolls too. It cannot ask the writer what is whole: a
    /// batch that looks damaged while valid batches follow it is read again (appends are
    /// serialized, so the writer finished it before starting the next) before it is called damage.
    @Test(arguments: [64 << 20, 64 << 10])
    func aReaderInAnotherProcessNeverSeesABatchBeingWritten(segmentSize: Int) throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.log, withIntermediateDirectories: true)
        _ = try EventLog(directory: dir.log)  // create the first segment, then release the lock
        let reader = try LogReader(directory: dir.log)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: tapeExecutable)
        child.arguments = ["debug-append-loop", "--data", dir.path, "--batch", "3", "--segment-size", "\(segmentSize)"]
        child.standardOutput = FileHandle.nullDevice
        try child.run()
        // SIGKILL, not terminate(): a child spawned from a test thread may inherit a mask that blocks SIGTERM.
        defer { kill(child.processIdentifier, SIGKILL); child.waitUntilExit() }
        var seen: UInt64 = 0
        while seen < 40_000 {
            let end = try reader.waitForEnd(beyond: seen, timeout: .seconds(20))
            try #require(end > seen, "no appends from the child within 20 s")
            for entry in try reader.read(from: seen, limit: Int(end - seen)) {
                #expect(entry.record == tickRecord(entry.offset))
                try #require(entry.offset == seen)
                seen += 1
            }
        }
    }
}

extension ConcurrentTailTests {
    /// The open segment's last batch fails its checks. While a writer holds the lock it may be a
    /// batch being copied in: a reader in another process stops before it, without an error. With
    /// no writer the log is at rest, and the same read reports the damage.
    @Test func aBadLastBatchIsDamageOnlyWhenNoWriterHoldsTheLock() throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.log)
        try log.append(tickRecords(0..<100))
        try log.append(tickRecords(100..<200))
        try log.close()
        let segment = dir.log + "/" + SegmentName.segment(0)
        let size = try FileManager.default.attributesOfItem(atPath: segment)[.size] as! Int64
        try flipByte(in: segment, at: size - 20)  // inside the last batch's LZ4 frame

        let lock = try #require(FileHandle(forUpdatingAtPath: dir.log + "/tape.lock"))
        try #require(flock(lock.fileDescriptor, LOCK_EX | LOCK_NB) == 0)
        #expect(try LogReader(directory: dir.log).endOffset() == 100)
        #expect(try LogReader(directory: dir.log).read(from: 0, limit: 1_000).count == 100)

        flock(lock.fileDescriptor, LOCK_UN)
        #expect(try LogReader(directory: dir.log).endOffset() == 200)
        #expect(throws: LogError.self) { try LogReader(directory: dir.log).read(from: 0, limit: 1_000) }
    }
}
