import Foundation

/// A fresh temporary directory, removed by the caller (`defer { removeDirectory(dir) }`).
func makeTemporaryDirectory(_ prefix: String = "tape-reliability", under parent: String? = nil) -> String {
    let base = parent.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
    let path = base.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeDirectory(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// A file's size in bytes, or -1 when it does not exist.
func fileSize(_ path: String) -> Int64 {
    var status = stat()
    return stat(path, &status) == 0 ? Int64(status.st_size) : -1
}
