import Glibc

/// `tape-bench [log|all] [--ticks N]`: benchmarks that compare Tape with a peer in the same run.
let arguments = Array(CommandLine.arguments.dropFirst())
let suite = arguments.first { !$0.hasPrefix("--") } ?? "all"
var ticks = 2_000_000
if let i = arguments.firstIndex(of: "--ticks"), i + 1 < arguments.count, let n = Int(arguments[i + 1]), n >= 1_000 {
    ticks = n
}

switch suite {
case "log", "all":
    do {
        try LogBenchmark(ticks: ticks).run()
    } catch {
        print("tape-bench: \(error)")
        exit(1)
    }
default:
    print("usage: tape-bench [log|all] [--ticks N]")
    exit(64)
}
