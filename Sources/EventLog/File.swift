import Glibc

/// An open file descriptor with the few POSIX calls the log needs; closes itself in deinit.
/// Every call retries EINTR and throws `LogError.system` naming the operation and path.
/// Shared between threads: pread/pwrite/fdatasync are safe to call concurrently.
public final class File: Sendable {
    public let descriptor: Int32
    public let path: String

    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws {
        self.path = path
        let fd = retrying { open(path, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw LogError.system(operation: "open", path: path, errno: errno) }
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    public func size() throws -> Int64 {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { throw LogError.system(operation: "fstat", path: path, errno: errno) }
        return Int64(st.st_size)
    }

    /// Reads up to `count` bytes at `position`; fewer only at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = retrying { pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(position) + off_t(done)) }
            if n < 0 { throw LogError.system(operation: "pread", path: path, errno: errno) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads up to `count` bytes at `position`; fewer at end of file. The buffer is sized to what the file holds,
    /// so a generous `count` (64 MiB for an index) costs no 64 MiB zero-filled allocation.
    public func read(count: Int, at position: Int64) throws -> [UInt8] {
        let available = max(0, try size() - position)
        var bytes = [UInt8](repeating: 0, count: Int(min(Int64(count), available)))
        let n = try bytes.withUnsafeMutableBytes { (buffer) throws -> Int in try read(into: buffer, at: position) }
        bytes.removeSubrange(n...)
        return bytes
    }

    /// Writes all of `buffer` at `position`.
    public func write(_ buffer: UnsafeRawBufferPointer, at position: Int64) throws {
        var done = 0
        while done < buffer.count {
            let n = retrying { pwrite(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(position) + off_t(done)) }
            if n < 0 { throw LogError.system(operation: "pwrite", path: path, errno: errno) }
            done += n
        }
    }

    public func write(_ bytes: [UInt8], at position: Int64) throws {
        try bytes.withUnsafeBytes { (buffer) throws in try write(buffer, at: position) }
    }

    public func synchronizeData() throws {
        guard retrying({ fdatasync(descriptor) }) == 0 else { throw LogError.system(operation: "fdatasync", path: path, errno: errno) }
    }

    public func truncate(to size: Int64) throws {
        guard retrying({ ftruncate(descriptor, off_t(size)) }) == 0 else { throw LogError.system(operation: "ftruncate", path: path, errno: errno) }
    }

    /// fsyncs a directory so that file creations and renames inside it are durable.
    public static func synchronizeDirectory(_ path: String) throws {
        let dir = try File(path: path, flags: O_RDONLY | O_DIRECTORY)
        guard retrying({ fsync(dir.descriptor) }) == 0 else { throw LogError.system(operation: "fsync", path: path, errno: errno) }
    }

    /// Names in a directory (without `.` and `..`).
    public static func list(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw LogError.system(operation: "opendir", path: directory, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Creates a directory and its parents; succeeds if it exists.
    public static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw LogError.system(operation: "mkdir", path: prefix, errno: errno)
            }
            prefix += "/"
        }
    }

    /// Writes `bytes` to `path` atomically: a temporary file, fsync, rename.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp"
        let file = try File(path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try file.write(bytes, at: 0)
        try file.synchronizeData()
        guard rename(temporary, path) == 0 else { throw LogError.system(operation: "rename", path: temporary, errno: errno) }
    }

    public static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw LogError.system(operation: "unlink", path: path, errno: errno) }
    }
}

/// Repeats a system call while it fails with EINTR.
@inline(__always) func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result < 0 && errno == EINTR { continue }
        return result
    }
}
