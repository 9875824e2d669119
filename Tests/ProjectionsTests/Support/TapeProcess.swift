import Foundation
import Glibc

/// The built `tape` executable, beside the test bundle.
var tapeExecutable: String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let me = String(decoding: buffer[0..<max(0, n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/tape"
}

/// Runs `tape` to completion; returns its exit status and combined output.
@discardableResult
func runTape(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tapeExecutable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The hash `tape` printed after `hash `.
func printedHash(_ output: String) -> String? {
    guard let range = output.range(of: "hash ") else { return nil }
    return String(output[range.upperBound...].prefix { $0.isHexDigit })
}
