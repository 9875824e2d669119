import CSystem
import Dispatch
import Foundation
import Glibc

/// One epoll-driven thread that runs connections without blocking.
///
/// Its methods are safe to call from any thread; the work it runs, and all the state that work touches
/// (`EventLoopRuntime`), stays on the loop's own thread. An eventfd wakes it for submitted work and a
/// timerfd ticks it for timeouts.
public final class EventLoop: Sendable {
    /// The loop's position among the server's loops, for logs and thread names.
    public let index: Int
    let epollDescriptor: Int32
    let wakeDescriptor: Int32
    let timerDescriptor: Int32
    private struct JobQueue {
        var jobs: [@Sendable (EventLoopRuntime) -> Void] = []
        /// False once the loop has exited: later jobs are dropped, and the eventfd (which may be closed) is not touched.
        var isOpen = true
    }

    private let queue = Locked(JobQueue())
    private let exited = DispatchSemaphore(value: 0)

    /// epoll user data for the eventfd and the timerfd; registered sources get ids from `firstSourceID` up.
    static let wakeID: UInt64 = 1
    static let timerID: UInt64 = 2
    static let firstSourceID: UInt64 = 16

    /// Creates the loop's epoll, eventfd and timerfd (ticking every `tickInterval`); call `start()` to run it.
    init(index: Int, tickInterval: Duration) throws(GatewayError) {
        self.index = index
        epollDescriptor = try blockingSystemCall("epoll_create1() for event loop \(index)") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        wakeDescriptor = try blockingSystemCall("eventfd() for event loop \(index)") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        timerDescriptor = try blockingSystemCall("timerfd_create() for event loop \(index)") {
            timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        }
        let (seconds, attoseconds) = tickInterval.components
        let interval = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var setting = itimerspec(it_interval: interval, it_value: interval)
        try blockingSystemCall("timerfd_settime() for event loop \(index)") { timerfd_settime(timerDescriptor, 0, &setting, nil) }
        try control(EPOLL_CTL_ADD, descriptor: wakeDescriptor, id: Self.wakeID, interest: .readable)
        try control(EPOLL_CTL_ADD, descriptor: timerDescriptor, id: Self.timerID, interest: .readable)
    }

    /// Starts the loop's thread.
    func start() {
        Thread { [self] in run() }.start()
    }

    /// Runs work on the loop's thread soon; callable from any thread, never blocks.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        submit { _ in work() }
    }

    /// Runs a job with the loop's runtime on the loop's thread; callable from any thread.
    func submit(_ job: @escaping @Sendable (EventLoopRuntime) -> Void) {
        queue.withLock { queue in
            guard queue.isOpen else { return }
            queue.jobs.append(job)
            // One eventfd write per batch: the loop takes every queued job when it wakes. The write happens under
            // the lock so it cannot race with the loop closing the descriptor.
            if queue.jobs.count == 1 {
                var one: UInt64 = 1
                _ = Glibc.write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
            }
        }
    }

    /// Takes every queued job; with `closing`, also refuses all later ones.
    private func takeJobs(closing: Bool = false) -> [@Sendable (EventLoopRuntime) -> Void] {
        queue.withLock { queue in
            defer { queue.jobs = [] }
            if closing { queue.isOpen = false }
            return queue.jobs
        }
    }

    /// Blocks the calling thread (never a loop thread) until the loop has exited.
    func waitUntilExited() {
        exited.wait()
        exited.signal()
    }

    private func run() {
        // Named through pthreads from inside the thread: Foundation's `Thread.name` does not reliably reach the OS
        // thread on Linux, and `top -H` or a debugger should show which loop is busy.
        _ = pthread_setname_np(pthread_self(), "tape-loop-\(index)")
        let runtime = EventLoopRuntime(loop: self)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !runtime.isFinished {
            let count: Int32
            do throws(GatewayError) {
                guard case .completed(let ready) = try systemCall("epoll_wait() in event loop \(index)", {
                    epoll_wait(epollDescriptor, &events, Int32(events.count), -1)
                }) else { continue }
                count = ready
            } catch {
                // epoll_wait fails only on programming errors (EBADF, EINVAL); stopping beats spinning.
                break
            }
            runtime.refreshClock()
            for event in events.prefix(Int(count)) {
                switch event.data.u64 {
                case Self.wakeID:
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeDescriptor, &value, MemoryLayout<UInt64>.size)
                    for job in takeJobs() { job(runtime) }
                case Self.timerID:
                    var expirations: UInt64 = 0
                    _ = Glibc.read(timerDescriptor, &expirations, MemoryLayout<UInt64>.size)
                    runtime.tick()
                case let id:
                    runtime.dispatch(id, readiness: Readiness(
                        isReadable: event.events & EPOLLIN.rawValue != 0,
                        isWritable: event.events & EPOLLOUT.rawValue != 0,
                        isHangUp: event.events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0
                    ))
                }
            }
            runtime.checkDrainProgress()
        }
        // Jobs queued before the exit still run (a connection handed over just before a stop gets closed properly).
        for job in takeJobs(closing: true) { job(runtime) }
        runtime.closeAll()
        Glibc.close(timerDescriptor)
        Glibc.close(wakeDescriptor)
        Glibc.close(epollDescriptor)
        exited.signal()
    }

    /// The OS name of the calling thread (`tape-loop-N` on a loop).
    static var currentThreadName: String {
        var name = [CChar](repeating: 0, count: 16)
        _ = pthread_getname_np(pthread_self(), &name, name.count)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Adds, changes or removes a descriptor's registration.
    func control(_ operation: Int32, descriptor: Int32, id: UInt64, interest: Interest) throws(GatewayError) {
        var event = epoll_event()
        event.events = (interest.contains(.readable) ? EPOLLIN.rawValue : 0) | (interest.contains(.writable) ? EPOLLOUT.rawValue : 0)
        event.data.u64 = id
        try blockingSystemCall("epoll_ctl(\(operation)) for descriptor \(descriptor)") { epoll_ctl(epollDescriptor, operation, descriptor, &event) }
    }
}
