extension KitePacket {
    /// Reads one packet, its mode told by its length as the official clients do; fields it does not carry are zero.
    public init(decoding bytes: [UInt8]) throws(KiteError) {
        try self.init(decoding: bytes[...], offset: 0)
    }

    /// Reads one packet from a slice of a frame; `offset` is where the slice starts, for error messages.
    public init(decoding bytes: ArraySlice<UInt8>, offset: Int = 0) throws(KiteError) {
        guard let layout = Layout(rawValue: bytes.count) else { throw .unknownPacketLength(bytes.count, offset: offset) }
        var reader = BigEndianReader(bytes, offset: offset)
        var q = KiteQuote(token: try reader.read())
        let divisor = q.segment.priceDivisor
        func price() throws(KiteError) -> Double { Double(try reader.read(UInt32.self)) / divisor }

        q.lastPrice = try price()
        switch layout {
        case .ltp:
            break
        case .indexQuote, .indexFull:
            q.high = try price()
            q.low = try price()
            q.open = try price()
            q.close = try price()
            // The net change is derived from the close, as the official clients do; the wire copy is skipped.
            _ = try reader.take(4)
            if layout == .indexFull { q.exchangeTimestamp = try reader.read() }
        case .quote, .full:
            q.lastQuantity = try reader.read()
            q.averagePrice = try price()
            q.volume = try reader.read()
            q.buyQuantity = try reader.read()
            q.sellQuantity = try reader.read()
            q.open = try price()
            q.high = try price()
            q.low = try price()
            q.close = try price()
            if layout == .full {
                q.lastTradeTime = try reader.read()
                q.openInterest = try reader.read()
                q.openInterestDayHigh = try reader.read()
                q.openInterestDayLow = try reader.read()
                q.exchangeTimestamp = try reader.read()
                q.bids = try Self.depth(from: &reader, divisor: divisor)
                q.asks = try Self.depth(from: &reader, divisor: divisor)
            }
        }
        self.init(q, mode: layout.mode)
    }

    private static func depth(from reader: inout BigEndianReader, divisor: Double) throws(KiteError) -> [KiteDepthEntry] {
        var levels: [KiteDepthEntry] = []
        levels.reserveCapacity(KiteQuote.depthLevels)
        for _ in 0..<KiteQuote.depthLevels {
            let quantity: UInt32 = try reader.read()
            let price = Double(try reader.read(UInt32.self)) / divisor
            let orders: UInt16 = try reader.read()
            _ = try reader.take(2)
            levels.append(KiteDepthEntry(quantity: quantity, price: price, orders: orders))
        }
        return levels
    }
}
