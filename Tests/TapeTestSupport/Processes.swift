import Foundation

/// The `tape` executable the tests run: `TAPE_EXECUTABLE` when set (`make soak` tests the release
/// build, whose checks keep up with a log that grows over 200 crash cycles), else the one built
/// beside the test bundle.
public let tapeExecutable: String = ProcessInfo.processInfo.environment["TAPE_EXECUTABLE"]
    ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("tape").path

/// Runs `path` with `arguments` to completion (with `environment` instead of this process's, when
/// given); returns its exit status and its standard output and error, combined.
@discardableResult
public func runProcess(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs the built `tape` to completion; see `runProcess`.
@discardableResult
public func runTape(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    try runProcess(tapeExecutable, arguments, environment: environment)
}
