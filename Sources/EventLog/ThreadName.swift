import CSystem
import Glibc

/// Names the calling thread (at most 15 bytes, the kernel's limit), so `top -H`, `perf` and
/// debuggers show which part of Tape is busy.
public func nameCurrentThread(_ name: String) {
    _ = pthread_setname_np(pthread_self(), String(name.utf8.prefix(15)) ?? name)
}

/// Lowers the calling thread's CPU priority (its nice value, by `niceness` steps), so that
/// when the cores are busy the scheduler runs latency-bound threads (the feed, streaming,
/// the event loops, alerts) first and this thread with what is left. For bulk work whose
/// delay nobody waits on: the projection runners use it. Failure is harmless.
public func lowerCurrentThreadPriority(by niceness: Int32 = 10) {
    // On Linux a thread is a task with its own nice value; `who` 0 would be the whole process.
    let thread = id_t(gettid())
    errno = 0
    let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread)
    guard errno == 0 else { return }
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, min(19, current + niceness))
}
