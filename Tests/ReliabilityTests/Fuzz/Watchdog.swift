import EventLog
import Foundation

/// Watches the input in progress from its own thread; an input that outlives the deadline is a hang:
/// it prints the reproducer and aborts, since the stuck call can be neither interrupted nor reported otherwise.
final class Watchdog: Sendable {
    private struct State {
        var current: (index: Int, bytes: [UInt8], started: ContinuousClock.Instant)?
        var isStopped = false
    }

    private let state = Monitor(State())

    /// Starts the watching thread; `describe` turns the stuck input into its reproducer.
    init(deadline: Duration, describe: @escaping @Sendable (Int, [UInt8]) -> String) {
        let thread = Thread { [state] in
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                let (stopped, overdue) = state.withLock { s -> (Bool, String?) in
                    guard let current = s.current, ContinuousClock.now - current.started > deadline else { return (s.isStopped, nil) }
                    return (s.isStopped, describe(current.index, current.bytes))
                }
                if stopped { return }
                if let overdue {
                    FileHandle.standardError.write(Data("fuzz watchdog: an input has run for more than \(deadline), a hang: \(overdue)\n".utf8))
                    abort()
                }
            }
        }
        thread.name = "fuzz-watchdog"
        thread.start()
    }

    func begin(_ index: Int, _ bytes: [UInt8]) { state.withLock { $0.current = (index, bytes, ContinuousClock.now) } }
    func end() { state.withLock { $0.current = nil } }
    func stop() { state.withLock { $0.isStopped = true } }
}
