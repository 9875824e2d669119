import Glibc

/// `tape-bench [log|catalog|feed|http|stream|alerts|replay|rebuild|load|all] [--ticks N] [--sessions N]
/// [--rate N] [--seconds N] [--warmup N] [--connections N] [--results FILE] [--require-targets]`: benchmarks that
/// compare Tape with a peer in the same run. Each suite prints its table and a JSON line; at the end one table
/// collects every figure run, and `--results` (default `bench/results.json`) gets them as JSON. The exit status is 1
/// when a suite failed to run, and with `--require-targets` (what `make soak` passes) also when a figure missed its target.
let arguments = Array(CommandLine.arguments.dropFirst())
let suite = arguments.first { !$0.hasPrefix("--") } ?? "all"

/// An integer option `name N`, if given.
func option(_ name: String) -> Int? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return Int(arguments[i + 1])
}

/// `--ticks N` for the suites that write a log (each has its own default).
let ticks = option("--ticks").map { max(1_000, $0) }
let resultsPath = arguments.firstIndex(of: "--results").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    ?? "bench/results.json"

let suites: [String: () throws -> [Figure]] = [
    "log": { try LogBenchmark(ticks: ticks ?? 2_000_000).run() },
    "catalog": { try CatalogBench().run() },
    "feed": { try FeedBench().run() },
    "http": { try HTTPBench().run() },
    "alerts": { try AlertsBench().run() },
    "stream": {
        var bench = StreamBench()
        bench.sessions = option("--sessions") ?? bench.sessions
        bench.rate = option("--rate") ?? bench.rate
        bench.warmup = option("--warmup").map { max(0, $0) } ?? bench.warmup
        return try bench.run()
    },
    "replay": { try ReplayBench(ticks: ticks ?? 10_000_000).run() },
    "rebuild": { try RebuildBench(ticks: ticks ?? 10_000_000).run() },
    "load": {
        var bench = LoadBench()
        bench.seconds = option("--seconds") ?? bench.seconds
        bench.connections = option("--connections") ?? bench.connections
        bench.sessions = option("--sessions") ?? bench.sessions
        bench.rate = option("--rate") ?? bench.rate
        return try bench.run()
    },
]
/// `all` runs these; `load` is the soak test (`make soak`), run on its own.
let order = ["log", "catalog", "feed", "http", "stream", "alerts", "replay", "rebuild"]
let usage = "usage: tape-bench [\((order + ["load"]).joined(separator: "|"))|all] [--ticks N] [--sessions N] [--rate N] "
    + "[--seconds N] [--warmup N] [--connections N] [--results FILE] [--require-targets]"
if arguments.contains("--help") || arguments.contains("-h") {
    print(usage)
    exit(0)
}
guard suite == "all" || suites[suite] != nil else {
    print(usage)
    exit(64)
}
var summary = BenchSummary()
for name in order + ["load"] where suite == name || (suite == "all" && name != "load") {
    print("\n## \(name)\n")
    do {
        summary.figures += try suites[name]!()
    } catch {
        print("tape-bench \(name): \(error)")
        summary.failures.append((name, "\(error)"))
    }
}
print("\n## Summary\n")
print(summary.table())
do {
    try summary.write(to: resultsPath, commandLine: CommandLine.arguments)
    print("\nwrote \(resultsPath)")
} catch {
    print("tape-bench: cannot write \(resultsPath): \(error)")
    exit(1)
}
let missed = summary.figures.filter { $0.isMet == false }
if arguments.contains("--require-targets"), !missed.isEmpty {
    print("tape-bench: \(missed.count) target(s) missed: " + missed.map { "\($0.suite) \($0.name) \($0.targetText)" }.joined(separator: "; "))
    exit(1)
}
exit(summary.failures.isEmpty ? 0 : 1)
