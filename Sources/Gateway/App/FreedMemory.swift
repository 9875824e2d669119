import CSystem

/// Hands the heap's free pages back to the system. After a burst of allocation such as a
/// projection rebuild, glibc keeps what was freed for reuse and the resident size stays at the
/// burst's peak: three rounds of all eight projections rebuilt at once left a demo server at
/// 1.2 GB resident, 0.5 GB with a trim after each rebuild.
func releaseFreedMemory() {
    _ = malloc_trim(0)
}
