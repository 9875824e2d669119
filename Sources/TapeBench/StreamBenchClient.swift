import EventLog
import CSystem
import Foundation
import Synchronization

/// The reading side of `tape-bench stream`: many `/ws/v2` sessions on loopback, read by one
/// epoll thread per group, each tick checked for order and timed from its log time to receipt.
///
/// Threads: `connect` runs on the caller's thread; afterwards each group's state belongs to its
/// reader thread until `finish()` joins them.
final class StreamBenchClient: @unchecked Sendable {
    /// One session: its socket, unparsed bytes and counts; owned by one reader thread at a time.
    final class Session: @unchecked Sendable {
        let fd: Int32
        /// Ascending, for `isSubscribed(to:)`.
        let tokens: [UInt32]
        /// Ticks of tokens this session did not subscribe to (another session's): must stay 0.
        var foreign: UInt64 = 0
        /// Offsets received while a window edge was being read off the server (see `beginEdge()`),
        /// and the latency bucket of each counted one: settled against the edge in `finish()`.
        var edgeTicks: [(offset: UInt64, bucket: Int?)] = []
        var buffer: [UInt8] = []
        var isSubscribed = false
        var lastOffset: UInt64 = 0
        /// Ticks received with offsets in the measurement window.
        var receivedInWindow: UInt64 = 0
        var outOfOrder: UInt64 = 0
        init(fd: Int32, tokens: [UInt32]) {
            self.fd = fd
            self.tokens = tokens.sorted()
        }

        /// Whether `token` is one of this session's, to catch a tick of another token: a binary
        /// search of 50 tokens costs the reader less than hashing every tick.
        func isSubscribed(to token: UInt32) -> Bool {
            let at = tokens.partitioningIndex { $0 >= token }
            return at < tokens.count && tokens[at] == token
        }
    }

    /// What the readers saw, merged.
    struct Tally {
        var ticks: UInt64 = 0
        var inWindow: UInt64 = 0
        /// `ticks` messages carrying at least one tick of the window.
        var messagesInWindow: UInt64 = 0
        var outOfOrder: UInt64 = 0
        var closed = 0
        /// Latency histogram of ticks in the window, in 10 µs buckets up to 10 s.
        var latency = [UInt64](repeating: 0, count: 1_000_000)
        var maxLatencyNanos: Int64 = 0
    }

    private let groups: [[Session]]
    private let subscribed = Atomic<Int>(0)
    /// The measurement window in log offsets, [start, end); end is `UInt64.max` while open.
    private let windowStart = Atomic<UInt64>(UInt64.max)
    private let windowEnd = Atomic<UInt64>(UInt64.max)
    /// Set while an edge of the window is being read from the server: ticks received meanwhile
    /// may fall on either side of it, so their offsets are kept and settled afterwards.
    private let isAtEdge = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private var threads: [Thread] = []
    private let tallies = Mutex<[Tally]>([])

    /// Opens `subscriptions.count` sessions with the key, each subscribing to its tokens in ltp mode.
    init(port: Int, key: String, subscriptions: [[UInt32]], readers: Int) throws {
        var sessions: [Session] = []
        for tokens in subscriptions {
            let fd = try Self.connect(port: port)
            let request = "GET /ws/v2?api_key=\(key) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            try Self.writeAll(fd, Array(request.utf8))
            let session = Session(fd: fd, tokens: tokens)
            // The handshake answer ends at the blank line; anything after it is frames.
            while true {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = Glibc.read(fd, &chunk, chunk.count)
                guard n > 0 else { throw BenchError("the server closed a WebSocket during the handshake") }
                session.buffer += chunk[0..<n]
                if let end = Self.find([13, 10, 13, 10], in: session.buffer) {
                    guard session.buffer.starts(with: Array("HTTP/1.1 101".utf8)) else {
                        throw BenchError("handshake refused: \(String(decoding: session.buffer.prefix(200), as: UTF8.self))")
                    }
                    session.buffer.removeFirst(end + 4)
                    break
                }
            }
            let subscribe = "{\"action\":\"subscribe\",\"tokens\":[\(tokens.map(String.init).joined(separator: ","))],\"mode\":\"ltp\"}"
            try Self.writeAll(fd, Self.maskedTextFrame(Array(subscribe.utf8)))
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            sessions.append(session)
        }
        let size = (sessions.count + readers - 1) / readers
        groups = stride(from: 0, to: sessions.count, by: size).map { Array(sessions[$0..<min($0 + size, sessions.count)]) }
    }

    /// Starts the reader threads.
    func start() {
        for (i, group) in groups.enumerated() {
            let thread = Thread { [self] in readLoop(group) }
            thread.name = "bench-reader-\(i)"
            threads.append(thread)
            thread.start()
        }
    }

    /// Sessions whose `subscribed` answer has arrived.
    var subscribedCount: Int { subscribed.load(ordering: .acquiring) }

    /// Call before reading a window edge (the log's end) off the server, then `openWindow` or
    /// `closeWindow` with it: ticks that arrive between the read and the call are counted on the
    /// right side of the edge (a tick past the end is not counted; one at or past the start is).
    func beginEdge() { isAtEdge.store(true, ordering: .releasing) }
    func openWindow(at offset: UInt64) {
        windowStart.store(offset, ordering: .releasing)
        isAtEdge.store(false, ordering: .releasing)
    }
    func closeWindow(at offset: UInt64) {
        windowEnd.store(offset, ordering: .releasing)
        isAtEdge.store(false, ordering: .releasing)
    }

    /// Stops the readers and returns the merged tally and the sessions.
    func finish() -> (Tally, [Session]) {
        stopping.store(true, ordering: .releasing)
        while tallies.withLock({ $0.count }) < groups.count { usleep(10_000) }
        var total = Tally()
        for tally in tallies.withLock({ $0 }) {
            total.ticks += tally.ticks
            total.inWindow += tally.inWindow
            total.messagesInWindow += tally.messagesInWindow
            total.outOfOrder += tally.outOfOrder
            total.closed += tally.closed
            total.maxLatencyNanos = max(total.maxLatencyNanos, tally.maxLatencyNanos)
            for i in tally.latency.indices where tally.latency[i] > 0 { total.latency[i] += tally.latency[i] }
        }
        // Settle the ticks received at the edges: one before `openWindow` at or past the start
        // counts; one counted before `closeWindow` at or past the end does not.
        let start = windowStart.load(ordering: .acquiring), end = windowEnd.load(ordering: .acquiring)
        for session in groups.joined() {
            for (offset, bucket) in session.edgeTicks {
                if let bucket, offset >= end {
                    session.receivedInWindow -= 1
                    total.inWindow -= 1
                    total.latency[bucket] -= 1
                } else if bucket == nil, offset >= start, offset < end {
                    session.receivedInWindow += 1
                    total.inWindow += 1
                }
            }
        }
        for session in groups.joined() { close(session.fd) }
        return (total, Array(groups.joined()))
    }

    // MARK: reader thread

    private func readLoop(_ sessions: [Session]) {
        let epoll = epoll_create1(0)
        defer { close(epoll) }
        for (i, session) in sessions.enumerated() {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.u64 = UInt64(i)
            epoll_ctl(epoll, EPOLL_CTL_ADD, session.fd, &event)
        }
        var tally = Tally()
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while !stopping.load(ordering: .acquiring) {
            let ready = epoll_wait(epoll, &events, Int32(events.count), 50)
            guard ready > 0 else { continue }
            for e in events[0..<Int(ready)] {
                let session = sessions[Int(e.data.u64)]
                while true {
                    let n = Glibc.read(session.fd, &chunk, chunk.count)
                    if n > 0 {
                        // Frames are parsed where they were read; only a partial one is kept for later.
                        if session.buffer.isEmpty {
                            let used = chunk.withUnsafeBufferPointer { consumeFrames(UnsafeBufferPointer(rebasing: $0[0..<n]), of: session, into: &tally) }
                            session.buffer.append(contentsOf: chunk[used..<n])
                        } else {
                            session.buffer.append(contentsOf: chunk[0..<n])
                            let used = session.buffer.withUnsafeBufferPointer { consumeFrames($0, of: session, into: &tally) }
                            session.buffer.removeFirst(used)
                        }
                        // A short read emptied the socket: epoll reports it again when more comes.
                        if n < chunk.count { break }
                        continue
                    }
                    if n == 0 || (errno != EAGAIN && errno != EINTR) {
                        epoll_ctl(epoll, EPOLL_CTL_DEL, session.fd, nil)
                        tally.closed += 1
                    }
                    break
                }
            }
        }
        tallies.withLock { $0.append(tally) }
    }

    /// Parses every complete server frame in `buffer`; returns how many bytes they took.
    private func consumeFrames(_ buffer: UnsafeBufferPointer<UInt8>, of session: Session, into tally: inout Tally) -> Int {
        var position = 0
        let now = Self.realtimeNanos()
        // The edge flag first: once it reads false after `openWindow`/`closeWindow`, the edge it
        // set is visible too.
        let isAtEdge = isAtEdge.load(ordering: .acquiring)
        let start = windowStart.load(ordering: .acquiring), end = windowEnd.load(ordering: .acquiring)
        while buffer.count - position >= 2 {
            var length = Int(buffer[position + 1] & 0x7F)
            var header = 2
            if length == 126 {
                guard buffer.count - position >= 4 else { break }
                length = Int(buffer[position + 2]) << 8 | Int(buffer[position + 3])
                header = 4
            } else if length == 127 {
                guard buffer.count - position >= 10 else { break }
                length = (2..<10).reduce(0) { $0 << 8 | Int(buffer[position + $1]) }
                header = 10
            }
            guard buffer.count - position >= header + length else { break }
            let payload = position + header..<position + header + length
            position += header + length
            guard buffer[payload.lowerBound - header] & 0x0F == 1 else { continue }  // text frames only
            let bytes = UnsafeBufferPointer(rebasing: buffer[payload])
            if Self.hasPrefix(bytes, Self.ticksPrefix) {
                let before = tally.inWindow
                defer { if tally.inWindow > before { tally.messagesInWindow += 1 } }
                Self.scanTicks(bytes) { token, offset, time in
                    tally.ticks += 1
                    if !session.isSubscribed(to: token) { session.foreign += 1 }
                    if offset <= session.lastOffset { session.outOfOrder += 1; tally.outOfOrder += 1 }
                    session.lastOffset = offset
                    guard offset >= start, offset < end else {
                        if isAtEdge { session.edgeTicks.append((offset, nil)) }
                        return
                    }
                    session.receivedInWindow += 1
                    tally.inWindow += 1
                    let latency = max(0, now - time)
                    tally.maxLatencyNanos = max(tally.maxLatencyNanos, latency)
                    let bucket = min(tally.latency.count - 1, Int(latency / 10_000))
                    tally.latency[bucket] += 1
                    if isAtEdge { session.edgeTicks.append((offset, bucket)) }
                }
            } else if Self.hasPrefix(bytes, Self.subscribedPrefix), !session.isSubscribed {
                session.isSubscribed = true
                subscribed.add(1, ordering: .releasing)
            }
        }
        return position
    }

    static let ticksPrefix = Array(#"{"type":"ticks""#.utf8)
    static let subscribedPrefix = Array(#"{"type":"subscribed""#.utf8)

    /// Calls `visit(offset, timeNanos)` for each tick object of an ltp `ticks` message,
    /// `{"token":…,"price":…,"volume":…,"time":s.fraction,"offset":n}`.
    ///
    /// Each object's end is found with `memchr` and its last two fields are read backwards from
    /// there, their keys checked: a message of another shape stops the scan, and its ticks count
    /// as lost (the bench reads ltp mode, whose shape this is).
    static func scanTicks(_ bytes: UnsafeBufferPointer<UInt8>, _ visit: (_ token: UInt32, _ offset: UInt64, _ time: Int64) -> Void) {
        guard let base = bytes.baseAddress else { return }
        let end = base + bytes.count
        var position = base + ticksPrefix.count
        let data: StaticString = #","data":["#
        guard matches(data, at: position, end: end) else { return }
        position += data.utf8CodeUnitCount
        while matches(#"{"token":"#, at: position, end: end) {
            guard let found = memchr(position, Int32(UInt8(ascii: "}")), end - position) else { return }
            let close = UnsafePointer(found.assumingMemoryBound(to: UInt8.self))
            // Backwards: the offset's digits, `,"offset":`, the time's digits and point, `,"time":`.
            var p = close
            var offset: UInt64 = 0, scale: UInt64 = 1
            while p > position, (p - 1).pointee &- 48 < 10 {
                p -= 1
                offset &+= UInt64(p.pointee &- 48) &* scale
                scale &*= 10
            }
            guard scale > 1, p - position >= 10, matches(#","offset":"#, at: p - 10, end: end) else { return }
            p -= 10
            var nanos: Int64 = 0, digitScale: Int64 = 1, fractionDigits = -1, digits = 0
            while p > position {
                let byte = (p - 1).pointee
                if byte == UInt8(ascii: "."), fractionDigits < 0 {
                    fractionDigits = digits
                } else if byte &- 48 < 10 {
                    nanos &+= Int64(byte &- 48) &* digitScale
                    digitScale &*= 10
                    digits += 1
                } else {
                    break
                }
                p -= 1
            }
            guard digits > 0, p - position >= 8, matches(#","time":"#, at: p - 8, end: end) else { return }
            // `nanos` holds all the digits as one integer: scale it to nanoseconds.
            let fraction = max(0, fractionDigits)
            var time = nanos
            if fraction < 9 {
                for _ in fraction..<9 { time &*= 10 }
            } else {
                for _ in 9..<fraction { time /= 10 }
            }
            // The token, forwards from the object's start.
            var token: UInt32 = 0
            var t = position + 9
            while t < close, t.pointee &- 48 < 10 {
                token = token &* 10 &+ UInt32(t.pointee &- 48)
                t += 1
            }
            visit(token, offset, time)
            position = close + 1
            if position < end, position.pointee == UInt8(ascii: ",") { position += 1 }
        }
    }

    /// Whether the bytes at `position` are exactly `literal`.
    static func matches(_ literal: StaticString, at position: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> Bool {
        let count = literal.utf8CodeUnitCount
        return end - position >= count && memcmp(position, literal.utf8Start, count) == 0
    }

    /// The first index of `needle` at or after `start` (glibc's `memmem`, which is vectorized).
    static func find(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = haystack.baseAddress, start < haystack.count else { return nil }
        return needle.withUnsafeBytes { n -> Int? in
            guard let hit = memmem(base + start, haystack.count - start, n.baseAddress, n.count) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        haystack.withUnsafeBufferPointer { find(needle, in: $0, from: 0) }
    }

    static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: [UInt8]) -> Bool {
        bytes.count >= prefix.count && zip(bytes, prefix).allSatisfy { $0 == $1 }
    }

    static func realtimeNanos() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    // MARK: sockets

    static func connect(port: Int) throws -> Int32 {
        // Close-on-exec: a program spawned meanwhile (wrk in the load test) must not inherit a
        // thousand sockets, which push its own descriptors past the tables it sized.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw BenchError("cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BenchError("write failed: \(String(cString: strerror(errno)))") }
            sent += n
        }
    }

    /// A client text frame (RFC 6455 §5.2), masked with a fixed key.
    static func maskedTextFrame(_ payload: [UInt8]) -> [UInt8] {
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return frame
    }
}
