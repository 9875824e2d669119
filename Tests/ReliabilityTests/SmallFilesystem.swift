import Foundation
import Glibc

/// A size-limited tmpfs mounted on a directory: a real "No space left on device" on demand, and
/// space that returns when it is remounted larger. Needs the right to mount (root in a container
/// that allows it); `isAvailable` says whether this machine gives it. Owned by one test.
final class SmallFilesystem {
    let path: String
    private var isMounted = false

    /// Whether tmpfs can be mounted here (checked once by mounting and unmounting a scratch one).
    static let isAvailable: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = makeTemporaryDirectory("tape-mount-probe")
        defer { removeDirectory(probe) }
        guard (try? command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe)) == 0 else { return false }
        return (try? command("umount", probe)) == 0
    }()

    /// Mounts a tmpfs of `megabytes` on `path` (created if needed).
    init(at path: String, megabytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard try Self.command("mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path) == 0 else {
            throw LoopbackError(description: "cannot mount a tmpfs on \(path)")
        }
        isMounted = true
    }

    deinit { unmount() }

    /// Changes the size in place; files stay. Growing it is "space returns".
    func resize(megabytes: Int) throws {
        guard try Self.command("mount", "-o", "remount,size=\(megabytes)m", path) == 0 else {
            throw LoopbackError(description: "cannot resize the tmpfs on \(path)")
        }
    }

    /// Free bytes as statvfs reports them.
    var freeBytes: Int64 {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return -1 }
        return Int64(s.f_bavail) * Int64(s.f_frsize)
    }

    /// Fills what is free with a file of zeros, so the next write of any size fails.
    func fill() {
        let fd = open(path + "/ballast", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let zeros = [UInt8](repeating: 0, count: 64 << 10)
        while zeros.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        // The last blocks may be smaller than the chunk.
        var one: UInt8 = 0
        while write(fd, &one, 1) > 0 {}
    }

    /// Removes the ballast `fill()` wrote.
    func drain() { unlink(path + "/ballast") }

    func unmount() {
        guard isMounted else { return }
        // A process that still has files open there keeps it busy; lazily detach then.
        if (try? Self.command("umount", path)) != 0 { _ = try? Self.command("umount", "-l", path) }
        isMounted = false
    }

    @discardableResult
    private static func command(_ arguments: String...) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
