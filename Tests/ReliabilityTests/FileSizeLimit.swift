import Foundation

/// A full disk for one process without mounting anything: its RLIMIT_FSIZE soft limit lowered to one
/// byte (`prlimit --pid`), so every write past the first byte of any file fails with EFBIG, and raised
/// again for "space returns". Works unprivileged (a process may move its soft limit up to the hard one),
/// so it stands in where a tmpfs cannot be mounted. The process must ignore SIGXFSZ (`tape serve` does).
struct FileSizeLimit {
    let pid: Int32

    /// Lowers the limit: the disk is "full".
    func lower() throws { try set("1:unlimited") }

    /// Lifts the limit: space "returns".
    func lift() throws { try set("unlimited:unlimited") }

    private func set(_ value: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["prlimit", "--pid", "\(pid)", "--fsize=\(value)"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw LoopbackError(description: "prlimit --pid \(pid) --fsize=\(value) failed") }
    }
}
