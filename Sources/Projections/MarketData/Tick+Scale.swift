import EventLog

/// Price arithmetic shared by the quotes and candles folds.
///
/// An instrument's prices are kept in one scale: the `decimals` of its first tick in log order
/// (exchanges fix the tick scale per segment, so later ticks normally agree). A later tick in
/// another scale is converted rather than mixed in, so OHLC never compares paise with rupees.
extension Tick {
    /// `price` expressed with `decimals` places (see `Tick.rescale`).
    @inline(__always)
    public func price(inDecimals decimals: UInt8) -> Int64 {
        decimals == self.decimals ? price : Tick.rescale(price, from: self.decimals, to: decimals)
    }

    /// A minor-units value moved from `from` to `to` decimal places.
    ///
    /// More places multiply exactly (saturating at the Int64 bounds instead of trapping on
    /// absurd input); fewer places round to nearest, halves away from zero. A gap wider than
    /// 18 places counts as 18 (the log holds at most `Tick.maxDecimals`, 7).
    public static func rescale(_ value: Int64, from: UInt8, to: UInt8) -> Int64 {
        if from == to { return value }
        if to > from {
            let (product, overflow) = value.multipliedReportingOverflow(by: powerOfTen(Int(to) - Int(from)))
            return overflow ? (value < 0 ? .min : .max) : product
        }
        let divisor = powerOfTen(Int(from) - Int(to))
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        // remainder has value's sign; |2r| >= divisor means round away from zero.
        if remainder.magnitude >= (divisor.magnitude + 1) / 2 { return value < 0 ? quotient - 1 : quotient + 1 }
        return quotient
    }

    /// 10^min(n, 18), the largest power of ten an Int64 holds.
    private static func powerOfTen(_ n: Int) -> Int64 {
        var result: Int64 = 1
        for _ in 0..<min(n, 18) { result &*= 10 }
        return result
    }
}

extension UInt64 {
    /// `self + other`, stopping at `UInt64.max`: a volume that cannot grow further stays at the
    /// maximum instead of wrapping or trapping the fold.
    @inline(__always)
    func addingSaturating(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
