import EventLog
import Foundation
import Testing
@testable import Gateway

/// The chart page in a real headless browser (`chromium` from apt), driven by `Tests/Scripts/chart_check.py`.
@Suite struct ChartPageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func thePageServesItselfWithTheDemoKeyAndNoExternalDownloads() throws {
        let fixture = try StreamingFixture()
        let client = try TestClient(port: fixture.port)
        try client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"]?.hasPrefix("text/html") == true)
        #expect(response.text.contains("value=\"\(fixture.userKey)\""))
        #expect(!response.text.contains("https://"))
        #expect(!response.text.contains("src=\"http"))
    }

    @Test func chromiumDrawsCandlesMovesTheLastOneAndMarksAFiredAlert() throws {
        let fixture = try StreamingFixture()
        try fixture.appendTicks([101, 101, 101], step: .seconds(20))
        fixture.waitUntilFolded()
        let artifacts = Self.repository.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts.appendingPathComponent("chart.png").path
        try? FileManager.default.removeItem(atPath: screenshot)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.repository.appendingPathComponent("Tests/Scripts/chart_check.py").path,
                             "http://127.0.0.1:\(fixture.port)", fixture.userKey, "NSE:SYM101", screenshot]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "chart_check.py failed (chromium and websockets come with `make test`): \(stderr) \(stdout)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        #expect((seen["candles_drawn"] as? Int ?? 0) >= 1)
        #expect(seen["last_candle_moved"] as? Bool == true)
        #expect((seen["alert_markers"] as? Int ?? 0) >= 1)
        #expect(FileManager.default.fileExists(atPath: screenshot))
    }
}
