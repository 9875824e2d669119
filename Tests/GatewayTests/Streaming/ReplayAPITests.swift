import EventLog
import Foundation
import Testing
@testable import Gateway

/// `GET /replay` against a real server: the same bytes as `tape replay`, and market data only for non-admin keys.
@Suite struct ReplayAPITests {
    static func get(_ fixture: StreamingFixture, _ target: String, key: String?) throws -> TestResponse {
        let client = try TestClient(port: fixture.port)
        try client.send("GET \(target) HTTP/1.1\r\nHost: x\r\n" + (key.map { "X-API-Key: \($0)\r\n" } ?? "") + "\r\n")
        return try client.readResponse()
    }

    @Test func theHTTPReplayEqualsTheCommandLineReplay() throws {
        let fixture = try StreamingFixture()
        let offsets = try fixture.appendTicks(Array(repeating: 101, count: 3_000) + [102, 103])
        fixture.waitUntilDelivered()
        let target = "/replay?from_offset=\(offsets[0])&tokens=101,103&format=csv"
        let response = try Self.get(fixture, target, key: fixture.userKey)
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"]?.hasPrefix("text/csv") == true)
        let lines = response.text.split(separator: "\n")
        #expect(lines.count == 1 + 3_001)
        let tape = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("tape").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tape)
        process.arguments = ["replay", "--data", fixture.directory, "--from-offset", "\(offsets[0])", "--tokens", "101,103", "--format", "csv"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let cli = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(Array(cli) == response.body)
    }

    @Test func nonAdminKeysReplayMarketDataOnly() throws {
        let fixture = try StreamingFixture()
        #expect(try Self.get(fixture, "/replay", key: nil).status == 401)
        #expect(try Self.get(fixture, "/replay?types=api_key_issued", key: fixture.userKey).status == 403)
        let user = try Self.get(fixture, "/replay", key: fixture.userKey)
        #expect(user.status == 200)
        #expect(!user.text.contains("api_key_issued"))
        #expect(user.text.contains("instrument_listed"))
        let admin = try Self.get(fixture, "/replay?types=api_key_issued", key: StreamingFixture.adminKey)
        #expect(admin.text.contains("api_key_issued"))
        #expect(try Self.get(fixture, "/replay?format=xml", key: fixture.userKey).status == 400)
    }
}
