@testable import Gateway

extension KiteQuote {
    /// Segments the property tests cover: every named one (so every price divisor and the index layout) and one unnamed.
    static let sampledSegments: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 200]

    /// A quote whose every price is a whole number of the segment's units, so it survives encoding exactly.
    static func random(using random: inout SeededGenerator) -> KiteQuote {
        let segment = sampledSegments.randomElement(using: &random)!
        let token = UInt32.random(in: 0...0xFF_FFFF, using: &random) << 8 | UInt32(segment)
        let divisor = KiteSegment(token: token).priceDivisor
        func price() -> Double { Double(wireValue(using: &random)) / divisor }
        func levels() -> [KiteDepthEntry] {
            (0..<Int.random(in: 0...depthLevels, using: &random)).map { _ in
                KiteDepthEntry(quantity: wireValue(using: &random), price: price(), orders: .random(in: 0...UInt16.max, using: &random))
            }
        }
        return KiteQuote(token: token, lastPrice: price(), lastQuantity: wireValue(using: &random), averagePrice: price(),
                         volume: wireValue(using: &random), buyQuantity: wireValue(using: &random), sellQuantity: wireValue(using: &random),
                         open: price(), high: price(), low: price(), close: price(),
                         lastTradeTime: wireValue(using: &random), exchangeTimestamp: wireValue(using: &random),
                         openInterest: wireValue(using: &random), openInterestDayHigh: wireValue(using: &random),
                         openInterestDayLow: wireValue(using: &random), bids: levels(), asks: levels())
    }

    /// A 32-bit field value, with the edges (0, small, the maximum) as likely as the middle.
    private static func wireValue(using random: inout SeededGenerator) -> UInt32 {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: 0
        case 1: .random(in: 1...1_000_000, using: &random)
        case 2: .max
        default: .random(in: 0...UInt32.max, using: &random)
        }
    }
}
