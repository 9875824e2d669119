import EventLog

/// `/ws/kite` ticks as KiteTicker binary messages: packets in the session's mode for each
/// token, framed with their count and lengths; a one-byte heartbeat when idle.
struct KiteEncoding: StreamEncoding {
    var slot: Int { 1 }

    /// The packet after its two-byte length.
    func fragment(of update: TickUpdate, mode: StreamMode) -> [UInt8] {
        // Values outside the packet's unsigned 32-bit fields cannot be represented: such a
        // tick is sent as its last price only, the one field a client cannot do without.
        let packet = (try? KitePacket(KiteQuote(update), mode: mode).encoded())
            ?? (try? KitePacket(KiteQuote(token: update.tick.token, lastPrice: max(0, update.tick.priceValue)), mode: .ltp).encoded())
            ?? []
        return [UInt8(packet.count >> 8), UInt8(packet.count & 0xFF)] + packet
    }

    var isBinary: Bool { true }

    /// Two bytes for the packet count, filled in by `finish`.
    var head: [UInt8] { [0, 0] }

    var separator: UInt8? { nil }

    /// A frame holds at most 65,535 packets: the hub sends long before (`maxBatchBytes`).
    func finish(_ message: inout FrameBuffer, count: Int) {
        let n = UInt16(clamping: count)
        message.set(UInt8(n >> 8), atPayload: 0)
        message.set(UInt8(n & 0xFF), atPayload: 1)
    }

    var heartbeat: StreamMessage? { StreamMessage(isBinary: true, bytes: KiteFrame.heartbeat) }
}

extension KiteQuote {
    /// The packet values of one tick: its price, trade size and time, the day's volume and OHLC
    /// (`close` is the previous close, as Kite sends it), open interest and best bid and ask.
    init(_ update: TickUpdate) {
        let tick = update.tick, quote = update.quote
        let scale = Tick.scale(tick.decimals), quoteScale = Tick.scale(quote.decimals)
        let seconds = UInt32(clamping: update.time.rawValue / 1_000_000_000)
        let oi = UInt32(clamping: tick.openInterest ?? 0)
        self.init(token: tick.token, lastPrice: tick.priceValue, lastQuantity: UInt32(clamping: tick.volume),
                  volume: UInt32(clamping: quote.dayVolume),
                  open: Double(quote.open) / quoteScale, high: Double(quote.high) / quoteScale, low: Double(quote.low) / quoteScale,
                  close: Double(quote.referencePrice) / quoteScale,
                  lastTradeTime: seconds, exchangeTimestamp: seconds,
                  openInterest: oi, openInterestDayHigh: oi, openInterestDayLow: oi,
                  bids: tick.bid.map { [KiteDepthEntry(quantity: 0, price: Double($0) / scale, orders: 0)] } ?? [],
                  asks: tick.ask.map { [KiteDepthEntry(quantity: 0, price: Double($0) / scale, orders: 0)] } ?? [])
    }
}
