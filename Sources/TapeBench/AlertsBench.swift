import EventLog
import Foundation
import Gateway
import Projections
import Services
import Synchronization

/// Issue #6's benchmark: 100,000 active rules over the 2,000 most liquid instruments.
/// - evaluation: the pure evaluator folds the rules, then a million simulated ticks (in process);
/// - firing latency: the alert engine tails a durable log fed by the simulated feed at 100,000
///   ticks/s; latency is from the tick's append time to its AlertTriggered being durable. The
///   first second is the opening: `price_above`/`price_below` rules whose level the opening
///   price is already past (about 20,000 of them) all fire on their token's first tick, in a
///   few appends of thousands of firings. That burst is reported on its own; the figure held
///   to the target is the steady state after it, while prices walk;
/// - `/udf/history` for 1,000-bar requests (countback) from a candles projection, in process.
struct AlertsBench {
    var rules = 100_000
    var rate = 100_000
    var seconds = 10

    func run() throws -> [Figure] {
        let root = NSTemporaryDirectory() + "tape-bench-alerts-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }

        let fixture = InstrumentFixture.generate(seed: 1)
        let liquid = Set(fixture.liquid(count: 2_000))
        let instruments = fixture.active.filter { liquid.contains($0.token) }
        // Levels sit near each instrument's opening price, so rules keep firing as prices walk.
        var opening: [UInt32: Tick] = [:]
        var generator = TickGenerator(instruments: instruments, seed: 7)
        while opening.count < instruments.count { let t = generator.next(at: .zero); opening[t.token] = opening[t.token] ?? t }
        let ruleRecords = makeRules(opening: opening, tokens: instruments.map(\.token))

        // 1. Evaluation throughput of the fold.
        var evaluator = AlertEvaluator()
        for (i, record) in ruleRecords.enumerated() { _ = evaluator.apply(LogEntry(offset: UInt64(i), time: record.time, event: record.event)) }
        let ticks = 1_000_000
        var feed = TickGenerator(instruments: instruments, seed: 11)
        let stream = (0..<ticks).map { i in feed.next(at: Timestamp(seconds: 1_764_300_000 + Double(i) / 100_000)) }
        var fired = 0
        let evalSeconds = measure {
            for (i, tick) in stream.enumerated() {
                fired += evaluator.evaluate(tick, offset: UInt64(ruleRecords.count + i), time: Timestamp(seconds: 1_764_300_000 + Double(i) / 100_000)).count
            }
        }
        let evalRate = Double(ticks) / evalSeconds
        note("evaluated \(ticks) ticks against \(rules) rules in \(round3(evalSeconds)) s (\(fired) firings)")

        // 2. Firing latency through the engine on a durable log at `rate` ticks/s.
        let log = try EventLog(directory: root + "/log", options: LogOptions(durability: .always))
        for start in stride(from: 0, to: ruleRecords.count, by: 10_000) {
            try log.append(Array(ruleRecords[start..<min(start + 10_000, ruleRecords.count)]))
        }
        let latencies = Mutex<[(tickTime: Timestamp, milliseconds: Double)]>([])
        let engine = AlertEngine(log: log, reader: try log.makeReader(), databasePath: root + "/alerts.sqlite",
                                 liveCheckpointInterval: AlertEngine.serverLiveCheckpointInterval) { firing, _ in
            let now = Timestamp.now()
            latencies.withLock { $0.append((firing.time, Double(now.rawValue - firing.time.rawValue) / 1e6)) }
        }
        _ = try engine.catchUp()
        engine.start()
        let supervisor = FeedSupervisor(feed: SimulatedFeed(instruments: instruments, rate: rate, seed: 13), log: log)
        let startOffset = log.acceptedEnd
        let steadyFrom = Timestamp(rawValue: Timestamp.now().rawValue + 1_000_000_000)
        supervisor.start()
        usleep(UInt32(seconds) * 1_000_000)
        supervisor.stop()
        let appended = log.acceptedEnd - startOffset
        usleep(1_000_000)
        engine.stop()
        try log.close()
        let all = latencies.withLock { $0 }
        let fireLatencies = all.filter { $0.tickTime >= steadyFrom }.map(\.milliseconds).sorted()
        let openingBurst = all.filter { $0.tickTime < steadyFrom }.map(\.milliseconds).sorted()
        let fireP99 = Self.quantile(fireLatencies, 0.99), openingP99 = Self.quantile(openingBurst, 0.99)

        // 3. `/udf/history` with countback 1,000 on a series of 2,000 one-minute bars.
        let udfP99 = try udfHistoryP99(root: root + "/udf", instrument: instruments[0])

        printTable([
            ("rule evaluation (\(rules) rules)", "\(Int(evalRate)) ticks/s", "", "", nil),
            ("firing latency at \(rate) ticks/s", "p99 \(String(format: "%.2f", fireP99)) ms over \(fireLatencies.count) firings", "", "", nil),
            ("opening burst (first second)", "p99 \(String(format: "%.2f", openingP99)) ms over \(openingBurst.count) firings", "", "", nil),
            ("/udf/history countback=1000", "p99 \(String(format: "%.3f", udfP99)) ms", "", "", nil),
        ])
        print("""
        {"bench":"alerts","rules":\(rules),"eval_ticks_per_s":\(Int(evalRate)),"feed_ticks":\(appended),\
        "firings":\(fireLatencies.count),"fire_latency_p50_ms":\(round3(Self.quantile(fireLatencies, 0.5))),\
        "fire_latency_p99_ms":\(round3(fireP99)),"opening_firings":\(openingBurst.count),"opening_latency_p99_ms":\(round3(openingP99)),\
        "udf_history_p99_ms":\(round3(udfP99))}
        """)
        return [
            Figure(suite: "alerts", name: "rule evaluation, \(rules) rules (ticks/s)", value: evalRate, target: .atLeast(100_000)),
            Figure(suite: "alerts", name: "firing latency p99 at \(rate) ticks/s (after the opening second)", value: round3(fireP99),
                   unit: .milliseconds, target: .atMost(50)),
            Figure(suite: "alerts", name: "opening burst: \(openingBurst.count) firings in the first second, p99", value: round3(openingP99),
                   unit: .milliseconds),
            Figure(suite: "alerts", name: "/udf/history countback=1000 p99", value: round3(udfP99), unit: .milliseconds, target: .atMost(5)),
        ]
    }

    /// The `q` quantile of sorted values; 0 when there are none.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
    }

    /// `rules` AlertCreated records spread over the tokens, cycling through the conditions, every
    /// level within ±0.5% of the opening price; users 1…1,000.
    func makeRules(opening: [UInt32: Tick], tokens: [UInt32]) -> [Record] {
        let conditions = ["crosses_above", "crosses_below", "price_above", "price_below", "pct_change"]
        var rng = SplitMix64(seed: 17)
        return (0..<rules).map { i in
            let token = tokens[i % tokens.count]
            let price = opening[token]!.priceValue
            let offset = (Double(rng.next(in: 0...1_000)) - 500) / 100_000
            let condition = conditions[i % conditions.count]
            let rule = condition == "pct_change"
                ? AlertRule(token: token, condition: condition, percent: 0.3, windowSeconds: 300)
                : AlertRule(token: token, condition: condition, price: price * (1 + offset))
            return Record(time: Timestamp(seconds: 1_764_200_000),
                          event: .alertCreated(AlertChange(alertID: UInt64(i + 1), userID: UInt64(i % 1_000 + 1), version: 1, rule: rule)))
        }
    }

    func udfHistoryP99(root: String, instrument: Instrument) throws -> Double {
        let log = try EventLog(directory: root + "/log", options: LogOptions(durability: .never))
        var records = [Record(time: Timestamp(seconds: 1_764_200_000), event: .instrumentListed(instrument))]
        var generator = TickGenerator(instruments: [instrument], seed: 3)
        for minute in 0..<2_000 {
            for second in stride(from: 0, to: 60, by: 15) {
                records.append(Record(time: Timestamp(seconds: 1_764_201_600 + Double(minute * 60 + second)),
                                      event: .tick(generator.next(at: .zero))))
            }
        }
        try log.append(records)
        try log.close()
        let catalog = InstrumentCatalog(), candles = CandlesProjection(), quotes = QuotesProjection()
        for projection in [catalog, candles, quotes] as [any Projection] {
            try ProjectionRunner(projection: projection, log: try LogReader(directory: root + "/log"),
                                 databasePath: root + "/projections.sqlite").catchUp()
        }
        let api = UDFAPI(catalog: catalog, candles: candles, quotes: quotes)
        let request = HTTPRequest(method: .get, target: "/udf/history?symbol=\(instrument.exchange):\(instrument.tradingSymbol)&resolution=1&countback=1000&to=4000000000")
        guard String(decoding: api.history(request).prefix(12), as: UTF8.self).contains("\"ok\"") else {
            throw BenchError("/udf/history answered no bars")
        }
        var samples: [Double] = []
        for _ in 0..<5_000 {
            let start = ContinuousClock.now
            let body = api.history(request)
            let elapsed = ContinuousClock.now - start
            precondition(!body.isEmpty)
            samples.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
        }
        samples.sort()
        return samples[Int(Double(samples.count) * 0.99)]
    }
}
