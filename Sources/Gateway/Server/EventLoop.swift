import CSystem
import Dispatch
import Foundation

/// One epoll-driven thread that runs connections without blocking.
///
/// Its methods are safe to call from any thread; the work it runs, and all the state that work touches
/// (`EventLoopRuntime`), stays on the loop's own thread. An eventfd wakes it for submitted work and a
/// timerfd ticks it for timeouts. The system calls live in `EventLoop+Epoll.swift`.
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
        /// Whether the eventfd has been signalled and the loop has not yet found the queue empty:
        /// jobs submitted meanwhile are taken without another wake-up (a burst of sends from the
        /// streaming thread costs one eventfd write, not one per connection).
        var isWakePending = false
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
        (epollDescriptor, wakeDescriptor, timerDescriptor) = try Self.makeDescriptors(index: index, tickInterval: tickInterval)
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
            // One wake-up per burst: the loop takes jobs until it finds none. Signalling under the lock means
            // it cannot race with the loop closing the eventfd.
            if !queue.isWakePending {
                queue.isWakePending = true
                signalWake()
            }
        }
    }

    /// Takes every queued job; with `closing`, also refuses all later ones. Finding none ends
    /// the wake-up: the next submit signals again.
    private func takeJobs(closing: Bool = false) -> [@Sendable (EventLoopRuntime) -> Void] {
        queue.withLock { queue in
            defer { queue.jobs = [] }
            if closing { queue.isOpen = false }
            if queue.jobs.isEmpty { queue.isWakePending = false }
            return queue.jobs
        }
    }

    /// Blocks the calling thread (never a loop thread) until the loop has exited.
    func waitUntilExited() {
        exited.wait()
        exited.signal()
    }

    private func run() {
        Self.nameCurrentThread("tape-loop-\(index)")
        let runtime = EventLoopRuntime(loop: self)
        var events = makeEventBuffer(capacity: 256)
        while !runtime.isFinished {
            // Fails only on programming errors (EBADF, EINVAL); stopping beats spinning.
            guard let count = waitForEvents(into: &events) else { break }
            runtime.refreshClock()
            for index in 0..<count {
                let (id, readiness) = Self.decode(events[index])
                switch id {
                case Self.wakeID:
                    consumeWake()
                    while case let jobs = takeJobs(), !jobs.isEmpty {
                        for job in jobs { job(runtime) }
                    }
                case Self.timerID:
                    consumeTimerExpirations()
                    runtime.tick()
                default:
                    runtime.dispatch(id, readiness: readiness)
                }
            }
            runtime.checkDrainProgress()
        }
        // Jobs queued before the exit still run (a connection handed over just before a stop gets closed properly).
        for job in takeJobs(closing: true) { job(runtime) }
        runtime.closeAll()
        closeDescriptors()
        exited.signal()
    }
}
