import EventLog
import Foundation
import Glibc
import TapeTestSupport

/// A `tape` child process whose output is collected as it arrives, so a test can wait for a line with a
/// deadline instead of sleeping. Owned by the test that started it; the pipe handlers run on Foundation's queues.
final class TapeProcess {
    let process = Process()
    private let output = Monitor("")

    /// Starts `tape` with `arguments` and `environment` added to this process's.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: tapeExecutable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            output.update { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Everything the process printed so far (stdout and stderr).
    var text: String { output.withLock { $0 } }

    /// Waits until the output contains `needle` or the process exits; true if it appeared.
    func waitForOutput(containing needle: String, timeout: Duration = .seconds(30)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if text.contains(needle) { return true }
            if !process.isRunning { return text.contains(needle) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return text.contains(needle)
    }

    /// Waits for the process to exit on its own (within `timeout`) and returns its status, or nil if it is still running.
    func waitForExit(timeout: Duration = .seconds(30)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Sends SIGTERM and waits for the exit status.
    func stop() -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        return waitForExit()
    }
}
