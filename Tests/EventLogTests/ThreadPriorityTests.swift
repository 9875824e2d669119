import EventLog
import Foundation
import Testing

/// `lowerCurrentThreadPriority` changes the calling thread's nice value only, as projection
/// runners rely on: the streaming and event-loop threads keep theirs.
@Suite struct ThreadPriorityTests {
    @Test func onlyTheCallingThreadIsLowered() {
        let before = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let seen = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var lowered: Int32 = .min
        let thread = Thread {
            lowerCurrentThreadPriority(by: 5)
            // `who` 0 with PRIO_PROCESS reads the calling task on Linux: this thread.
            lowered = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            seen.signal()
        }
        thread.start()
        seen.wait()
        #expect(lowered == min(19, before + 5))
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == before)
    }
}
