import Foundation

/// The built `tape` executable, beside the test bundle.
let tapePath: String = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    .deletingLastPathComponent().appendingPathComponent("tape").path

/// A fresh temporary directory, removed by the caller (`defer { removeDirectory(dir) }`).
func makeTemporaryDirectory(_ prefix: String = "tape-reliability") -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeDirectory(_ path: String) { try? FileManager.default.removeItem(atPath: path) }
