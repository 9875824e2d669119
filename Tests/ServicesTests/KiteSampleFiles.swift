import Foundation
import Testing

/// The real Kite dumps in the shared data folder that sits beside the clone (`../shared/data/kite`).
enum KiteSampleFiles {
    static let directory: String? = {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data/kite").path,
            "/work/shared/data/kite",
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/README.md") }
    }()

    static var isPresent: Bool { directory != nil }
    static let absentMessage: Comment = "the shared Kite samples (../shared/data/kite beside the clone) are absent"

    static func path(_ name: String) -> String { (directory ?? "") + "/" + name }
}
