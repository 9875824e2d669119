import Foundation

/// One measured figure of a suite, as the summary table shows it: Tape's value beside its
/// peer's, the ratio (above 1 means Tape is better), and the target from the suite's issue.
struct Figure {
    /// What an issue asks of a figure.
    enum Target {
        case atLeast(Double)
        case atMost(Double)
        /// Of the ratio to the peer (above 1: Tape better).
        case ratioAtLeast(Double)
    }

    var suite: String
    var name: String
    var value: Double
    var unit: Unit
    var peer: String
    var peerValue: Double?
    var target: Target?

    /// How a value prints, and which direction is better.
    enum Unit: String {
        case perSecond = "/s"
        case milliseconds = "ms"
        case microseconds = "µs"
        case bytes = "bytes"
        case count = ""
        case percent = "%"

        /// Latencies, sizes, losses and growth are better small.
        var isLowerBetter: Bool { self != .perSecond }
    }

    init(suite: String, name: String, value: Double, unit: Unit = .perSecond, peer: String = "", peerValue: Double? = nil,
         target: Target? = nil) {
        self.suite = suite
        self.name = name
        self.value = value
        self.unit = unit
        self.peer = peer
        self.peerValue = peerValue
        self.target = target
    }

    /// Tape against the peer, oriented so that above 1 means Tape is better.
    var ratio: Double? {
        guard let peerValue, peerValue != 0, value != 0 else { return nil }
        return unit.isLowerBetter ? peerValue / value : value / peerValue
    }

    /// Whether the target is met; nil without a target (or without a ratio for a ratio target).
    var isMet: Bool? {
        switch target {
        case nil: return nil
        case .atLeast(let x): return value >= x
        case .atMost(let x): return value <= x
        case .ratioAtLeast(let x): return ratio.map { $0 >= x }
        }
    }

    /// The target as the table shows it (`≥ 1.00M/s`, `≤ 10 ms`, `≥ 0.5× peer`).
    var targetText: String {
        switch target {
        case nil: return ""
        case .atLeast(let x): return "≥ " + Figure.text(x, unit)
        case .atMost(let x): return "≤ " + Figure.text(x, unit)
        case .ratioAtLeast(let x): return "≥ \(Figure.plain(x))× peer"
        }
    }

    /// A value with its unit: rates as `1.23M/s` or `456k/s`, the rest with up to 3 decimals.
    static func text(_ value: Double, _ unit: Unit) -> String {
        switch unit {
        case .perSecond: return format(value) + "/s"
        case .count: return plain(value)
        case .percent: return plain(value) + "%"
        default: return plain(value) + " " + unit.rawValue
        }
    }

    /// Shortest of 0–3 decimals that shows the value.
    static func plain(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: abs(value) >= 100 ? "%.1f" : abs(value) >= 1 ? "%.2f" : "%.3f", value)
    }
}
