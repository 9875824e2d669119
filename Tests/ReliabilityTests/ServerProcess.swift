import Foundation
import Glibc
import TapeTestSupport

/// A `tape serve` child process whose standard output and error go to files (a pipe nobody drains
/// would stall the server's logging), so a test can read them during and after the run. Owned by one test.
final class ServerProcess {
    let process = Process()
    let outputPath: String
    let errorPath: String
    private(set) var port = 0

    /// Starts `tape serve` with `arguments` (TAPE_* variables of the test's environment removed) and
    /// waits, up to a deadline, for the banner's URL.
    init(_ arguments: [String], logsIn directory: String, name: String = "serve") throws {
        outputPath = directory + "/\(name).out"
        errorPath = directory + "/\(name).err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: tapeExecutable)
        process.arguments = ["serve"] + arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TAPE_") }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let range = output.range(of: "http://127.0.0.1:") {
                port = Int(output[range.upperBound...].prefix { $0.isNumber }) ?? 0
                if port > 0 { return }
            }
            guard process.isRunning else { break }
            usleep(5_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw LoopbackError(description: "tape serve printed no URL (status \(process.terminationStatus)): \(output) \(errors)")
    }

    deinit {
        if process.isRunning { killNow() }
    }

    var client: LoopbackClient { LoopbackClient(port: port) }
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// SIGKILL, then reaps the process.
    func killNow() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Sends `signal` and returns the exit status once the process is gone.
    func stop(_ signal: Int32 = SIGTERM) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Polls `/health` until its status is `expected`, or the deadline passes; returns the last body.
    @discardableResult
    func waitForHealth(_ expected: String, within limit: Duration = .seconds(60)) throws -> [String: Any] {
        let deadline = ContinuousClock.now + limit
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            last = try client.send("GET", "/health").json
            if last["status"] as? String == expected { return last }
            usleep(20_000)
        }
        throw LoopbackError(description: "health never became \(expected): \(last)")
    }
}

/// What a `tape` command printed and how it ended.
struct CommandResult {
    var status: Int32
    var output: String
    var errors: String
}

/// Runs `tape` with `arguments` to its end, its output collected through files in `scratch`.
func runTape(_ arguments: [String], scratch: String) throws -> CommandResult {
    let process = Process()
    let name = UUID().uuidString
    let outputPath = scratch + "/\(name).out", errorPath = scratch + "/\(name).err"
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outputPath)
        try? FileManager.default.removeItem(atPath: errorPath)
    }
    process.executableURL = URL(fileURLWithPath: tapeExecutable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TAPE_") }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    try process.run()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
                         errors: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
}
