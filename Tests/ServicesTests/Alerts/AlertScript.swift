import EventLog
@testable import Services

/// Builds a log of alert rule events and ticks, with event times that move forward as it goes.
struct AlertScript {
    private(set) var entries: [LogEntry] = []
    private(set) var time = Timestamp(rawValue: 1_764_300_000_000_000_000)
    private var versions: [UInt64: UInt32] = [:]

    var records: [Record] { entries.map(\.record) }
    var nextOffset: UInt64 { UInt64(entries.count) }

    @discardableResult
    mutating func append(_ event: Event) -> UInt64 {
        let offset = nextOffset
        entries.append(LogEntry(offset: offset, time: time, event: event))
        return offset
    }

    mutating func wait(_ seconds: Double) { time = Timestamp(rawValue: time.rawValue + Int64(seconds * 1e9)) }

    /// A tick of `token` at `price` (currency units, two decimals), `after` seconds past the previous event.
    @discardableResult
    mutating func tick(_ token: UInt32, _ price: Double, after seconds: Double = 1) -> UInt64 {
        wait(seconds)
        return append(.tick(Tick(token: token, price: Int64((price * 100).rounded()), decimals: 2, volume: 1)))
    }

    @discardableResult
    mutating func create(_ alertID: UInt64, user: UInt64 = 1, _ rule: AlertRule) -> UInt64 {
        versions[alertID] = 1
        return append(.alertCreated(AlertChange(alertID: alertID, userID: user, version: 1, rule: rule)))
    }

    /// The next version of the alert.
    @discardableResult
    mutating func update(_ alertID: UInt64, user: UInt64 = 1, _ rule: AlertRule) -> UInt64 {
        let version = (versions[alertID] ?? 0) + 1
        versions[alertID] = version
        return append(.alertUpdated(AlertChange(alertID: alertID, userID: user, version: version, rule: rule)))
    }

    @discardableResult
    mutating func delete(_ alertID: UInt64) -> UInt64 {
        let version = (versions[alertID] ?? 0) + 1
        versions[alertID] = version
        return append(.alertDeleted(AlertDeleted(alertID: alertID, version: version)))
    }

    /// Folds every entry through a fresh evaluator and returns the firings in order.
    func firings() -> [AlertEvaluator.Firing] {
        var evaluator = AlertEvaluator()
        return entries.flatMap { evaluator.apply($0) }
    }

    /// (alert id, tick offset) of every firing, in order.
    func fired() -> [Fired] { firings().map { Fired(alertID: $0.alertID, tickOffset: $0.tick.offset) } }

    /// A random mix of rule events and ticks over three tokens whose prices wander across the levels.
    static func random(seed: UInt64, events: Int) -> AlertScript {
        var rng = SplitMix64(seed: seed)
        var script = AlertScript()
        var prices: [UInt32: Int] = [1: 10_000, 2: 10_000, 3: 10_000]
        var nextID: UInt64 = 1
        var live: [UInt64] = []
        for _ in 0..<events {
            let roll = rng.next(in: 0...99)
            if roll < 8 || live.isEmpty {
                script.create(nextID, user: UInt64(rng.next(in: 1...3)), randomRule(&rng))
                live.append(nextID)
                nextID += 1
            } else if roll < 15 {
                script.update(live[rng.index(live.count)], randomRule(&rng))
            } else if roll < 17 {
                script.delete(live.remove(at: rng.index(live.count)))
            } else if roll < 18 {
                // Noise the fold must ignore: a stale update and a re-creation of a used id.
                let id = UInt64(rng.next(in: 1...Int(nextID)))
                script.append(.alertUpdated(AlertChange(alertID: id, userID: 1, version: 1, rule: randomRule(&rng))))
                script.append(.alertCreated(AlertChange(alertID: id, userID: 9, version: 1, rule: randomRule(&rng))))
            } else {
                let token = UInt32(rng.next(in: 1...3))
                prices[token] = max(9_000, min(11_000, prices[token]! + 50 * rng.next(in: -4...4)))
                script.tick(token, Double(prices[token]!) / 100, after: Double(rng.next(in: 0...90)))
            }
        }
        return script
    }

    static func randomRule(_ rng: inout SplitMix64) -> AlertRule {
        let condition = AlertCondition.allCases[rng.index(AlertCondition.allCases.count)]
        let level = Double(9_700 + 50 * rng.next(in: 0...12)) / 100
        var rule = AlertRule(token: UInt32(rng.next(in: 1...3)), condition: condition.rawValue)
        if condition == .pctChange {
            rule.percent = Double(rng.next(in: 1...6)) / 2 * (rng.next(in: 0...1) == 0 ? 1 : -1)
            rule.windowSeconds = UInt32(rng.next(in: 1...10) * 60)
        } else {
            rule.price = level
        }
        rule.frequency = rng.next(in: 0...2) == 0 ? "once" : "every"
        rule.cooldownSeconds = UInt32([0, 0, 30, 120, 600][rng.index(5)])
        if rng.next(in: 0...5) == 0 { rule.expiresAt = Timestamp(rawValue: 1_764_300_000_000_000_000 + Int64(rng.next(in: 0...20_000)) * 1_000_000_000) }
        rule.isEnabled = rng.next(in: 0...7) != 0
        return rule
    }
}

/// A firing reduced to what exactly-once is about.
struct Fired: Hashable, Comparable, CustomStringConvertible {
    var alertID: UInt64
    var tickOffset: UInt64
    static func < (a: Fired, b: Fired) -> Bool { (a.tickOffset, a.alertID) < (b.tickOffset, b.alertID) }
    var description: String { "alert \(alertID) @\(tickOffset)" }
}

/// The alert semantics written the slow, obvious way, independently of `AlertEvaluator`: for every
/// tick, look back over the whole history. Assumes tick times never go backwards.
enum BruteForceAlerts {
    struct Result: Hashable {
        var alertID: UInt64
        var tickOffset: UInt64
        var version: UInt32
        var n: UInt64
    }

    static func firings(_ entries: [LogEntry]) -> [Result] {
        struct Live {
            var userID: UInt64
            var version: UInt32
            var rule: AlertRule
            var since: UInt64
            var lastFiring: (offset: UInt64, time: Timestamp)?
        }
        var live: [UInt64: Live] = [:]
        var used: Set<UInt64> = []
        var counts: [UInt64: UInt64] = [:]
        var ticks: [UInt32: [(offset: UInt64, time: Timestamp, price: Double, units: Int64)]] = [:]
        var results: [Result] = []
        for entry in entries {
            switch entry.event {
            case .alertCreated(let c) where !used.contains(c.alertID):
                used.insert(c.alertID)
                live[c.alertID] = Live(userID: c.userID, version: c.version, rule: c.rule, since: entry.offset)
            case .alertUpdated(let c):
                if let current = live[c.alertID], c.version > current.version {
                    live[c.alertID] = Live(userID: current.userID, version: c.version, rule: c.rule, since: entry.offset)
                }
            case .alertDeleted(let d):
                live[d.alertID] = nil
            case .tick(let tick):
                let price = tick.priceValue
                var history = ticks.removeValue(forKey: tick.token) ?? []
                for id in live.keys.sorted() {
                    var alert = live[id]!
                    let rule = alert.rule
                    guard rule.token == tick.token, rule.isEnabled else { continue }
                    if let expiry = rule.expiresAt, entry.time >= expiry { continue }
                    if rule.frequency != "every" && alert.lastFiring != nil { continue }
                    var holds = false
                    switch rule.condition {
                    case "price_above": holds = price >= rule.price!
                    case "price_below": holds = price <= rule.price!
                    case "crosses_above": holds = history.last.map { $0.price < rule.price! && price >= rule.price! } ?? false
                    case "crosses_below": holds = history.last.map { $0.price > rule.price! && price <= rule.price! } ?? false
                    case "pct_change":
                        let start = alert.lastFiring?.offset ?? alert.since + 1
                        let oldest = entry.time.rawValue - Int64(rule.windowSeconds!) * 1_000_000_000
                        // The token's ticks since the rule (or its last firing) and within the window, newest first.
                        let window = history.reversed().prefix { $0.offset >= start && $0.time.rawValue >= oldest }
                        let percent = rule.percent!
                        // Minor units: every tick here has two decimals.
                        if let ref = (percent > 0 ? window.map(\.units).min() : window.map(\.units).max()), ref > 0 {
                            let change = Double(tick.price - ref) * 100
                            holds = percent > 0 ? change >= percent * Double(ref) : change <= percent * Double(ref)
                        }
                    default: break
                    }
                    guard holds else { continue }
                    if rule.frequency == "every", let last = alert.lastFiring,
                       entry.time.rawValue - last.time.rawValue < Int64(rule.cooldownSeconds) * 1_000_000_000 { continue }
                    alert.lastFiring = (entry.offset, entry.time)
                    live[id] = alert
                    counts[id, default: 0] += 1
                    results.append(Result(alertID: id, tickOffset: entry.offset, version: alert.version, n: counts[id]!))
                }
                history.append((entry.offset, entry.time, price, tick.price))
                ticks[tick.token] = history
            default:
                break
            }
        }
        return results
    }
}
