import EventLog

/// The prices an instrument can quote, in the log's integer form: how many decimals its minor
/// unit has (`Tick.decimals`) and its tick size in those units.
///
/// Decimals are at least 2 (paise, as Kite streams rupee prices) and grow until the tick size
/// is a whole number of minor units: 0.05 → 2 decimals, tick 5; 0.0025 (currency) → 4, tick 25;
/// 1.0 (MCX) → 2, tick 100. A tick size that is not a positive finite number (Kite lists some
/// indices with 0) gives 2 decimals and a tick of 1. A value type; use from any thread.
public struct PriceGrid: Hashable, Sendable {
    /// Decimal places of the minor unit, at most `Tick.maxDecimals`.
    public var decimals: UInt8
    /// The tick size in minor units, at least 1.
    public var tick: Int64

    /// Paise: rupee prices never have fewer decimals.
    public static let minimumDecimals: UInt8 = 2

    /// A grid as given, clamped to `Tick.maxDecimals` and a tick of at least 1.
    public init(decimals: UInt8, tick: Int64) {
        self.decimals = min(decimals, Tick.maxDecimals)
        self.tick = max(1, tick)
    }

    /// The grid of an instrument with this tick size (in currency units).
    public init(tickSize: Double) {
        guard Instrument.isUsableAmount(tickSize) else {
            self.init(decimals: Self.minimumDecimals, tick: 1)
            return
        }
        var decimals = Self.minimumDecimals
        var scaled = tickSize * Tick.scale(decimals)
        // Tick sizes arrive as doubles (0.05 is not exact), so "whole" means within a millionth.
        while decimals < Tick.maxDecimals, abs(scaled - scaled.rounded()) > 1e-6 * max(1, scaled) {
            decimals += 1
            scaled = tickSize * Tick.scale(decimals)
        }
        self.init(decimals: decimals, tick: Int64(scaled.rounded()))
    }

    /// `price` (minor units) rounded down to a multiple of the tick, but never below one tick.
    public func snap(_ price: Int64) -> Int64 { max(tick, price - price % tick) }
}
