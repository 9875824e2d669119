import CSystem
import Glibc

/// Names the calling thread (at most 15 bytes, the kernel's limit), so `top -H`, `perf` and
/// debuggers show which part of Tape is busy.
public func nameCurrentThread(_ name: String) {
    _ = pthread_setname_np(pthread_self(), String(name.utf8.prefix(15)) ?? name)
}
