import Glibc

/// `tape-bench [log|catalog|feed|http|stream|alerts|all] [--ticks N] [--sessions N] [--rate N]`: benchmarks that compare Tape with a peer in the same run.
let arguments = Array(CommandLine.arguments.dropFirst())
let suite = arguments.first { !$0.hasPrefix("--") } ?? "all"
var ticks = 2_000_000
if let i = arguments.firstIndex(of: "--ticks"), i + 1 < arguments.count, let n = Int(arguments[i + 1]), n >= 1_000 {
    ticks = n
}

/// An integer option `name N`, if given.
func option(_ name: String) -> Int? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return Int(arguments[i + 1])
}

let suites: [String: () throws -> Void] = [
    "log": { try LogBenchmark(ticks: ticks).run() },
    "catalog": { try CatalogBench().run() },
    "feed": { try FeedBench().run() },
    "http": { try HTTPBench().run() },
    "alerts": { try AlertsBench().run() },
    "stream": {
        var bench = StreamBench()
        bench.sessions = option("--sessions") ?? bench.sessions
        bench.rate = option("--rate") ?? bench.rate
        try bench.run()
    },
]
let order = ["log", "catalog", "feed", "http", "stream", "alerts"]
guard suite == "all" || suites[suite] != nil else {
    print("usage: tape-bench [\(order.joined(separator: "|"))|all] [--ticks N]")
    exit(64)
}
for name in order where suite == "all" || suite == name {
    print("\n## \(name)\n")
    do {
        try suites[name]!()
    } catch {
        print("tape-bench \(name): \(error)")
        exit(1)
    }
}
