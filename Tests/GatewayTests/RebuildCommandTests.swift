import Foundation
import TapeTestSupport
import Testing

/// `tape rebuild` against a data directory a `tape serve` is running on, then offline.
@Suite(.serialized) struct RebuildCommandTests {
    /// Runs `tape` with `environment` on top of this process's, without its `TAPE_` settings.
    func tape(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try runTape(arguments, environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TAPE_") }.merging(environment) { $1 })
    }

    @Test func onARunningServerTheRebuildGoesThroughItAndUsersKeepAnswering() throws {
        let data = NSTemporaryDirectory() + "tape-rebuild-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let admin = "admin-secret-for-rebuild-tests"
        let server = try ServeCommandTests.Server(["--data", data, "--port", "0", "--admin-key", admin])
        let port = try server.port()
        let checks = ServeCommandTests()
        let created = try checks.send(port, "POST", "/users", key: admin, body: #"{"name":"ana"}"#)
        let userID = try #require(created.body["id"] as? Int)
        let key = try #require(try checks.send(port, "POST", "/users/\(userID)/keys", key: admin).body["key"] as? String)
        #expect(try checks.send(port, "POST", "/users", key: key, body: #"{"name":"eve"}"#).status == 403)

        // The users projection is small; the endpoint's own tests swap a busy one (quotes) under load.
        let swapped = try tape(["rebuild", "--data", data, "--projection", "users"], environment: ["TAPE_ADMIN_KEY": admin])
        #expect(swapped.status == 0, "\(swapped.output)")
        #expect(swapped.output.contains("rebuilding through it, without downtime"))
        #expect(swapped.output.contains("users v") && swapped.output.contains("swapped in"))
        // The swapped-in users projection knows the same keys: the user's key still authenticates, as a user.
        #expect(try checks.send(port, "POST", "/users", key: key, body: #"{"name":"eve"}"#).status == 403)
        #expect(try checks.send(port, "POST", "/users", key: "tape_9_wrong", body: #"{"name":"eve"}"#).status == 401)

        let diff = try tape(["rebuild", "--data", data, "--projection", "users", "--diff"], environment: ["TAPE_ADMIN_KEY": admin])
        #expect(diff.status == 0, "\(diff.output)")
        #expect(diff.output.contains("users v") && diff.output.contains("is identical to the live one"))

        let refused = try tape(["rebuild", "--data", data, "--projection", "quotes"])
        #expect(refused.status != 0)
        #expect(refused.output.contains("needs the admin key"), "\(refused.output)")

        #expect(server.stop(SIGTERM) == 0)
        #expect(!FileManager.default.fileExists(atPath: data + "/serve.json"))
        let offline = try tape(["rebuild", "--data", data, "--projection", "users", "--diff"])
        #expect(offline.status == 0, "\(offline.output)")
        #expect(offline.output.contains("is identical to the live one"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: data).allSatisfy { !$0.contains("rebuild") })
    }
}
