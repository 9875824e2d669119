import Foundation
import Testing
@testable import Gateway

/// The outbox's lent socket, on a real socket pair: a frame is written whole or its rest is
/// queued first, and nothing is written while the loop holds the socket.
@Suite struct ConnectionOutboxTests {
    /// A connected pair with a small send buffer on the writing end; closed by `close()`.
    struct SocketPair {
        let writer: Int32, reader: Int32
        init() throws {
            var fds: [Int32] = [0, 0]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
            writer = fds[0]
            reader = fds[1]
            var size: Int32 = 16 << 10
            setsockopt(writer, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK)
            _ = fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) | O_NONBLOCK)
        }

        /// Everything readable now.
        func readAvailable() -> [UInt8] {
            var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = read(reader, &chunk, chunk.count)
                guard n > 0 else { return bytes }
                bytes += chunk[0..<n]
            }
        }

        func close() {
            Glibc.close(writer)
            Glibc.close(reader)
        }
    }

    /// An outbox lending `pair`'s writing end; `drains` counts the drains it asks for.
    static func outbox(_ pair: SocketPair, drains: Locked<Int> = Locked(0)) -> ConnectionOutbox {
        ConnectionOutbox(capacityBytes: 1 << 24, directSocket: pair.writer) { drains.withLock { $0 += 1 } }
    }

    @Test func aLentSocketTakesAFrameWithoutTheLoop() throws {
        let pair = try SocketPair()
        defer { pair.close() }
        let drains = Locked(0)
        let outbox = Self.outbox(pair, drains: drains)
        #expect(outbox.lendSocket())
        #expect(outbox.enqueue(.webSocketFrame([1, 2, 3])) == .queued)
        #expect(pair.readAvailable() == [1, 2, 3])
        #expect(drains.withLock { $0 } == 0)
        var items: [ConnectionOutbox.Item] = []
        outbox.drain(into: &items)
        #expect(items.isEmpty)
    }

    @Test func whatAFullSocketDoesNotTakeIsQueuedFirstAndTheLoopTakesTheSocketBack() throws {
        let pair = try SocketPair()
        defer { pair.close() }
        let drains = Locked(0)
        let outbox = Self.outbox(pair, drains: drains)
        #expect(outbox.lendSocket())
        let big = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 % 253) }
        #expect(outbox.enqueue(.webSocketFrame(big)) == .queued)
        #expect(outbox.enqueue(.webSocketFrame([9, 9])) == .queued)
        // One drain was asked for, and the second frame waits behind the first one's rest.
        #expect(drains.withLock { $0 } == 1)
        let written = pair.readAvailable()
        #expect(!written.isEmpty && written.count < big.count)
        #expect(!outbox.lendSocket())
        var items: [ConnectionOutbox.Item] = []
        outbox.drain(into: &items)
        #expect(items == [.webSocketFrame(Array(big[written.count...])), .webSocketFrame([9, 9])])
        // Taken back: a frame now is queued, not written.
        #expect(outbox.enqueue(.webSocketFrame([7])) == .queued)
        #expect(pair.readAvailable().isEmpty)
    }

    @Test func aSocketIsNotLentWhileItemsWaitNorAfterClose() throws {
        let pair = try SocketPair()
        defer { pair.close() }
        let outbox = Self.outbox(pair)
        #expect(outbox.enqueue(.webSocketClose(.normalClosure, "")) == .queued)
        #expect(!outbox.lendSocket())
        var items: [ConnectionOutbox.Item] = []
        outbox.drain(into: &items)
        #expect(outbox.lendSocket())
        outbox.close()
        #expect(outbox.enqueue(.webSocketFrame([1])) == .closed)
        #expect(!outbox.lendSocket())
        #expect(pair.readAvailable().isEmpty)
    }

    @Test func anOutboxWithoutASocketNeverLendsOne() {
        let outbox = ConnectionOutbox(capacityBytes: 1024) {}
        #expect(!outbox.lendSocket())
    }
}
