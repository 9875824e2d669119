@testable import Gateway

extension KiteQuote {
    /// What a packet of `mode` carries of this quote, as decoding it gives back: other fields zero, and in a full
    /// non-index packet exactly five depth levels a side. Written from kite.md apart from the codec.
    func carried(in mode: KiteMode) -> KiteQuote {
        var kept = KiteQuote(token: token, lastPrice: lastPrice)
        guard mode != .ltp else { return kept }
        (kept.open, kept.high, kept.low, kept.close) = (open, high, low, close)
        if segment.isIndex {
            if mode == .full { kept.exchangeTimestamp = exchangeTimestamp }
            return kept
        }
        (kept.lastQuantity, kept.averagePrice, kept.volume) = (lastQuantity, averagePrice, volume)
        (kept.buyQuantity, kept.sellQuantity) = (buyQuantity, sellQuantity)
        guard mode == .full else { return kept }
        (kept.lastTradeTime, kept.exchangeTimestamp) = (lastTradeTime, exchangeTimestamp)
        (kept.openInterest, kept.openInterestDayHigh, kept.openInterestDayLow) = (openInterest, openInterestDayHigh, openInterestDayLow)
        let empty = KiteDepthEntry()
        kept.bids = bids + Array(repeating: empty, count: KiteQuote.depthLevels - bids.count)
        kept.asks = asks + Array(repeating: empty, count: KiteQuote.depthLevels - asks.count)
        return kept
    }
}
