import Foundation

/// A fresh directory under the system temp dir, removed when the value is deinitialized.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "tape-projections-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}
