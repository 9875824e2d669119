import CSystem
import Glibc

/// The state an event loop keeps for its thread: registered sources, the cached clock and Date header, a read buffer.
///
/// Created on the loop's thread and never leaves it; jobs submitted from other threads reach it as a parameter.
final class EventLoopRuntime {
    /// The loop this runtime belongs to (for submitting follow-up work and registering descriptors).
    let loop: EventLoop
    /// The monotonic time at the start of the current loop iteration.
    private(set) var now = ContinuousClock.now
    /// A scratch buffer every connection on this loop reads into; safe because the loop runs one handler at a time.
    var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// Whether the loop should exit after this iteration.
    private(set) var isFinished = false
    private var sources: [UInt64: any EventSource] = [:]
    private var connectionCount = 0
    private var nextID = EventLoop.firstSourceID
    private var drainDeadline: ContinuousClock.Instant?
    private var cachedDateSecond = -1
    private var cachedDate = ""

    init(loop: EventLoop) {
        self.loop = loop
    }

    /// Reads the clock once per iteration so every deadline in it agrees.
    func refreshClock() {
        now = .now
    }

    /// The current `Date` header value, formatted at most once per second.
    var dateHeader: String {
        let second = Int(time(nil))
        if second != cachedDateSecond {
            cachedDateSecond = second
            cachedDate = HTTPDate.string(fromEpochSeconds: second)
        }
        return cachedDate
    }

    /// Registers a descriptor with epoll and returns the source's id.
    func register(_ source: any EventSource, descriptor: Int32, interest: Interest) throws(GatewayError) -> UInt64 {
        let id = nextID
        nextID += 1
        try loop.control(EPOLL_CTL_ADD, descriptor: descriptor, id: id, interest: interest)
        sources[id] = source
        if source.isConnection { connectionCount += 1 }
        return id
    }

    /// Changes which readiness a registered descriptor reports.
    func update(_ id: UInt64, descriptor: Int32, interest: Interest) {
        try? loop.control(EPOLL_CTL_MOD, descriptor: descriptor, id: id, interest: interest)
    }

    /// Removes a registration; call before closing the descriptor.
    func deregister(_ id: UInt64, descriptor: Int32) {
        try? loop.control(EPOLL_CTL_DEL, descriptor: descriptor, id: id, interest: [])
        if let source = sources.removeValue(forKey: id), source.isConnection { connectionCount -= 1 }
    }

    /// The source registered under an id, if it is still open.
    func source(_ id: UInt64) -> (any EventSource)? {
        sources[id]
    }

    /// Delivers readiness to its source; events for sources closed earlier in the same batch are dropped.
    func dispatch(_ id: UInt64, readiness: Readiness) {
        sources[id]?.handle(readiness)
    }

    /// Lets every source check its deadlines.
    func tick() {
        for source in Array(sources.values) { source.tick() }
    }

    /// Starts a graceful stop: sources finish in-flight work; the loop exits when none is left or at the deadline.
    func beginDraining(until deadline: ContinuousClock.Instant) {
        drainDeadline = deadline
        for source in Array(sources.values) { source.beginDraining() }
    }

    /// Ends the loop once draining is complete or out of time.
    func checkDrainProgress() {
        guard let deadline = drainDeadline else { return }
        if connectionCount == 0 || now >= deadline { isFinished = true }
    }

    /// Closes every source still open; called as the loop exits.
    func closeAll() {
        for source in Array(sources.values) { source.forceClose() }
        sources = [:]
    }
}
