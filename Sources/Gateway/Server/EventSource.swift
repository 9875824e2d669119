/// Readiness reported by epoll for one registered descriptor; a value made and used on one loop thread.
struct Readiness {
    /// Data (or end-of-file) can be read.
    var isReadable: Bool
    /// The send buffer has room.
    var isWritable: Bool
    /// The peer hung up or the socket has an error; a read will say which.
    var isHangUp: Bool
}

/// Which readiness a source wants to hear about; a value made and used on one loop thread.
struct Interest: OptionSet {
    let rawValue: UInt8
    static let readable = Interest(rawValue: 1)
    static let writable = Interest(rawValue: 2)
}

/// Something registered with an event loop (a listener or a connection); every method is called on that loop's thread only.
protocol EventSource: AnyObject {
    /// Whether this source is a client connection (graceful stop waits for these).
    var isConnection: Bool { get }
    /// Reacts to readiness of its descriptor.
    func handle(_ readiness: Readiness)
    /// Checks deadlines; called on every timer tick.
    func tick()
    /// Starts a graceful stop: finish what is in flight, then close.
    func beginDraining()
    /// Closes at once (the graceful stop ran out of time).
    func forceClose()
}
