import Glibc

/// `tape bench ...` runs the separate `tape-bench` executable that sits beside `tape`.
enum BenchCommand {
    static func run(_ arguments: [String]) -> Int32 {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { printError("tape: cannot locate myself to find tape-bench"); return 74 }
        let me = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let bench = String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/tape-bench"
        var argv: [UnsafeMutablePointer<CChar>?] = ([bench] + arguments).map { strdup($0) } + [nil]
        execv(bench, &argv)
        printError("tape: cannot run \(bench): \(String(cString: strerror(errno))) (build it with `make build`)")
        return 74
    }
}
