import EventLog
import Foundation
import Services

/// Issue #5's benchmark: how fast the simulated feed can tick into a durable log on this machine.
///
/// The feed runs under its supervisor with the real clock, appending to a log with durability
/// `always` (every batch fdatasync'd, as `tape serve` runs it). Asked for an impossible rate, its
/// batches grow to whatever the log absorbs: that is its ceiling. The generator alone shows how
/// much of the cost is making ticks rather than storing them.
struct FeedBench {
    let seconds = 3

    func run() throws -> [Figure] {
        let root = NSTemporaryDirectory() + "tape-bench-feed-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        defer { try? FileManager.default.removeItem(atPath: root) }

        let fixture = InstrumentFixture.generate(seed: 1)
        let byToken = Dictionary(uniqueKeysWithValues: fixture.active.map { ($0.token, $0) })
        let instruments = fixture.liquid(count: 2_000).map { byToken[$0]! }

        var generator = TickGenerator(instruments: instruments, seed: 1)
        var checksum: Int64 = 0
        let generated = 5_000_000
        let generatorSeconds = measure {
            for _ in 0..<generated { checksum &+= generator.next(at: .zero).price }
        }

        var rows: [(String, String, String, String, Double?)] = [
            ("TickGenerator.next (2,000 instruments)", format(Double(generated) / generatorSeconds) + " ticks/s", "", "", nil),
        ]
        var figures = [Figure(suite: "feed", name: "TickGenerator.next", value: Double(generated) / generatorSeconds)]
        var json = #"{"bench":"feed","seconds":\#(seconds),"generator_ticks_per_s":\#(Int(Double(generated) / generatorSeconds))"#
        for (name, rate, durability) in [("100k", 100_000, Durability.always), ("max", 20_000_000, .always), ("max_cpu", 20_000_000, .never)] {
            let achieved = try feed(rate: rate, durability: durability, instruments: instruments, directory: root + "/" + name)
            let label = rate == 100_000 ? "simulated feed at 100k ticks/s asked (durable)"
                : durability == .always ? "simulated feed, max rate (durable)" : "simulated feed, max rate (durability never)"
            rows.append((label, format(achieved) + " ticks/s", "", "", nil))
            figures.append(Figure(suite: "feed", name: label, value: achieved))
            json += #","\#(name)_ticks_per_s":\#(Int(achieved))"#
        }
        printTable(rows)
        print(json + #","checksum":\#(checksum)}"#)
        return figures
    }

    /// Ticks per second the feed appended over `seconds`, asked for `rate`.
    private func feed(rate: Int, durability: Durability, instruments: [Instrument], directory: String) throws -> Double {
        let log = try EventLog(directory: directory, options: LogOptions(durability: durability))
        let feed = SimulatedFeed(instruments: instruments, rate: rate, seed: 1)
        let supervisor = FeedSupervisor(feed: feed, log: log)
        let start = ContinuousClock.now
        supervisor.start()
        Thread.sleep(forTimeInterval: Double(seconds))
        let appended = supervisor.health.ticksAppended
        let elapsed = ContinuousClock.now - start
        supervisor.stop()
        try log.close()
        if let reason = supervisor.health.reason { throw BenchError("feed degraded: \(reason)") }
        return Double(appended) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
