extension KitePacket {
    /// The packet's bytes, big-endian, laid out as the official clients decode them.
    public func encoded() throws(KiteError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        try encode(into: &bytes)
        return bytes
    }

    /// Appends the packet's bytes to `bytes`; on failure `bytes` is left as it was.
    public func encode(into bytes: inout [UInt8]) throws(KiteError) {
        let start = bytes.count
        do throws(KiteError) {
            try write(into: &bytes)
        } catch {
            bytes.removeSubrange(start...)
            throw error
        }
    }

    private func write(into bytes: inout [UInt8]) throws(KiteError) {
        let q = quote
        bytes.appendBigEndian(q.token)
        let last = try units(q.lastPrice, "lastPrice")
        bytes.appendBigEndian(last)
        switch layout {
        case .ltp:
            break
        case .indexQuote, .indexFull:
            // Index packets order OHLC as high, low, open, close, then the net change from the close in price units,
            // signed; the official clients ignore that field and derive change from the close themselves.
            let close = try units(q.close, "close")
            bytes.appendBigEndian(try units(q.high, "high"))
            bytes.appendBigEndian(try units(q.low, "low"))
            bytes.appendBigEndian(try units(q.open, "open"))
            bytes.appendBigEndian(close)
            bytes.appendBigEndian(Int32(clamping: Int64(last) - Int64(close)))
            if layout == .indexFull { bytes.appendBigEndian(q.exchangeTimestamp) }
        case .quote, .full:
            bytes.appendBigEndian(q.lastQuantity)
            bytes.appendBigEndian(try units(q.averagePrice, "averagePrice"))
            bytes.appendBigEndian(q.volume)
            bytes.appendBigEndian(q.buyQuantity)
            bytes.appendBigEndian(q.sellQuantity)
            bytes.appendBigEndian(try units(q.open, "open"))
            bytes.appendBigEndian(try units(q.high, "high"))
            bytes.appendBigEndian(try units(q.low, "low"))
            bytes.appendBigEndian(try units(q.close, "close"))
            guard layout == .full else { return }
            bytes.appendBigEndian(q.lastTradeTime)
            bytes.appendBigEndian(q.openInterest)
            bytes.appendBigEndian(q.openInterestDayHigh)
            bytes.appendBigEndian(q.openInterestDayLow)
            bytes.appendBigEndian(q.exchangeTimestamp)
            try writeDepth(q.bids, side: "bids", into: &bytes)
            try writeDepth(q.asks, side: "asks", into: &bytes)
        }
    }

    /// Five 12-byte levels: quantity, price, orders (int16) and two bytes of padding; missing levels are zeros.
    private func writeDepth(_ levels: [KiteDepthEntry], side: String, into bytes: inout [UInt8]) throws(KiteError) {
        guard levels.count <= KiteQuote.depthLevels else {
            throw .tooManyDepthLevels(token: quote.token, side: side, count: levels.count)
        }
        for (index, level) in levels.enumerated() {
            bytes.appendBigEndian(level.quantity)
            bytes.appendBigEndian(try units(level.price, "\(side)[\(index)].price"))
            bytes.appendBigEndian(level.orders)
            bytes.appendBigEndian(UInt16(0))
        }
        bytes.append(contentsOf: repeatElement(0, count: (KiteQuote.depthLevels - levels.count) * 12))
    }

    /// A price in the integer units of the token's segment (paise for most), rounded to the nearest unit.
    private func units(_ price: Double, _ field: @autoclosure () -> String) throws(KiteError) -> UInt32 {
        let scaled = (price * quote.segment.priceDivisor).rounded()
        // The official clients read prices as unsigned; NaN fails the first comparison.
        guard scaled >= 0, scaled <= Double(UInt32.max) else {
            throw .priceOutOfRange(token: quote.token, field: field(), value: price)
        }
        return UInt32(scaled)
    }
}
