/// A seeded pseudo-random generator (Steele, Lea & Flood's SplitMix64): the same seed gives
/// the same sequence on every platform, which fixtures and property tests rely on.
/// A value type; each user owns its copy.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `range` without modulo bias worth caring about for fixtures (64-bit multiply-shift).
    public mutating func next(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next().multipliedFullWidth(by: width).high)
    }

    /// A uniform index in `0..<count` (count > 0).
    public mutating func index(_ count: Int) -> Int { next(in: 0...(count - 1)) }
}
