import CSystem
import Glibc

/// The system calls behind `EventLoop`: epoll, the eventfd that wakes it and the timerfd that ticks it.
extension EventLoop {
    /// Creates epoll, a non-blocking eventfd and a timerfd ticking every `tickInterval`, with both registered.
    static func makeDescriptors(index: Int, tickInterval: Duration) throws(GatewayError) -> (epoll: Int32, wake: Int32, timer: Int32) {
        let epoll = try blockingSystemCall("epoll_create1() for event loop \(index)") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        var opened = [epoll]
        do throws(GatewayError) {
            let wake = try blockingSystemCall("eventfd() for event loop \(index)") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
            opened.append(wake)
            let timer = try blockingSystemCall("timerfd_create() for event loop \(index)") {
                timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
            }
            opened.append(timer)
            let (seconds, attoseconds) = tickInterval.components
            let interval = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            var setting = itimerspec(it_interval: interval, it_value: interval)
            try blockingSystemCall("timerfd_settime() for event loop \(index)") { timerfd_settime(timer, 0, &setting, nil) }
            try control(epoll: epoll, EPOLL_CTL_ADD, descriptor: wake, id: wakeID, interest: .readable)
            try control(epoll: epoll, EPOLL_CTL_ADD, descriptor: timer, id: timerID, interest: .readable)
            return (epoll, wake, timer)
        } catch {
            for descriptor in opened { Glibc.close(descriptor) }
            throw error
        }
    }

    /// Adds, changes or removes a descriptor's registration.
    func control(_ operation: Int32, descriptor: Int32, id: UInt64, interest: Interest) throws(GatewayError) {
        try Self.control(epoll: epollDescriptor, operation, descriptor: descriptor, id: id, interest: interest)
    }

    private static func control(epoll: Int32, _ operation: Int32, descriptor: Int32, id: UInt64, interest: Interest) throws(GatewayError) {
        var event = epoll_event()
        // Level-triggered: a source that leaves data unread is told again, so no read can be forgotten.
        event.events = (interest.contains(.readable) ? EPOLLIN.rawValue : 0) | (interest.contains(.writable) ? EPOLLOUT.rawValue : 0)
        event.data.u64 = id
        try blockingSystemCall("epoll_ctl(\(operation)) for descriptor \(descriptor)") { epoll_ctl(epoll, operation, descriptor, &event) }
    }

    /// A buffer for `waitForEvents(into:)`.
    func makeEventBuffer(capacity: Int) -> [epoll_event] {
        [epoll_event](repeating: epoll_event(), count: capacity)
    }

    /// Blocks until something is ready and returns how many entries of `events` are filled; nil when epoll itself fails.
    func waitForEvents(into events: inout [epoll_event]) -> Int? {
        do throws(GatewayError) {
            let result = try systemCall("epoll_wait() in event loop \(index)") { epoll_wait(epollDescriptor, &events, Int32(events.count), -1) }
            guard case .completed(let count) = result else { return 0 }
            return Int(count)
        } catch {
            return nil
        }
    }

    /// The source id and readiness an epoll entry reports.
    static func decode(_ event: epoll_event) -> (id: UInt64, readiness: Readiness) {
        (event.data.u64, Readiness(
            isReadable: event.events & EPOLLIN.rawValue != 0,
            isWritable: event.events & EPOLLOUT.rawValue != 0,
            isHangUp: event.events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0
        ))
    }

    /// Makes the eventfd readable so `epoll_wait` returns.
    func signalWake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
    }

    /// Resets the eventfd counter after a wake-up.
    func consumeWake() {
        var value: UInt64 = 0
        _ = Glibc.read(wakeDescriptor, &value, MemoryLayout<UInt64>.size)
    }

    /// Resets the timerfd after a tick (missed ticks collapse into one: deadlines are checked against the clock).
    func consumeTimerExpirations() {
        var expirations: UInt64 = 0
        _ = Glibc.read(timerDescriptor, &expirations, MemoryLayout<UInt64>.size)
    }

    /// Closes the loop's own descriptors as it exits.
    func closeDescriptors() {
        Glibc.close(timerDescriptor)
        Glibc.close(wakeDescriptor)
        Glibc.close(epollDescriptor)
    }

    /// Names the calling thread through pthreads; Foundation's `Thread.name` does not reliably reach the OS thread
    /// on Linux, and `top -H` or a debugger should show which loop is busy.
    static func nameCurrentThread(_ name: String) {
        _ = pthread_setname_np(pthread_self(), name)
    }

    /// The OS name of the calling thread (`tape-loop-N` on a loop).
    static var currentThreadName: String {
        var name = [CChar](repeating: 0, count: 16)
        _ = pthread_getname_np(pthread_self(), &name, name.count)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
