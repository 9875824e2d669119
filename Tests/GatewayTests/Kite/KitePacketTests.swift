import Testing
@testable import Gateway

@Suite struct KitePacketTests {
    @Test(arguments: KiteMode.allCases)
    func decodingInvertsEncodingForSeededRandomQuotes(mode: KiteMode) throws {
        var random = SeededGenerator(seed: 0x4B49_5445 &+ UInt64(KiteMode.allCases.firstIndex(of: mode)!))
        for _ in 0..<2_000 {
            let quote = KiteQuote.random(using: &random)
            let packet = KitePacket(quote, mode: mode)
            let bytes = try packet.encoded()
            #expect(bytes.count == packet.length)
            let decoded = try KitePacket(decoding: bytes)
            #expect(decoded == KitePacket(quote.carried(in: mode), mode: mode), "token \(quote.token)")
            #expect(try decoded.encoded() == bytes, "token \(quote.token)")
        }
    }

    @Test func lengthFollowsModeAndWhetherTheTokenIsAnIndex() {
        let stock = KiteQuote(token: 408065), index = KiteQuote(token: 256265)
        #expect(KiteMode.allCases.map { KitePacket(stock, mode: $0).length } == [8, 44, 184])
        #expect(KiteMode.allCases.map { KitePacket(index, mode: $0).length } == [8, 28, 32])
    }

    @Test func pricesAreScaledByTheTokensSegment() throws {
        let cases: [(segment: UInt32, price: Double, units: UInt32)] = [(1, 1573.15, 157315), (3, 82.1234567, 821234567), (6, 82.1234, 821234), (7, 5432.5, 543250)]
        for (segment, price, units) in cases {
            let bytes = try KitePacket(KiteQuote(token: 0x1200 | segment, lastPrice: price), mode: .ltp).encoded()
            #expect(Array(bytes[4..<8]) == [UInt8(units >> 24), UInt8(units >> 16 & 0xFF), UInt8(units >> 8 & 0xFF), UInt8(units & 0xFF)], "segment \(segment)")
        }
    }

    @Test func indexPacketsCarryOHLCAsHighLowOpenCloseThenTheSignedNetChange() throws {
        let nifty = KiteQuote(token: 256265, lastPrice: 100, open: 103, high: 104, low: 99, close: 101, exchangeTimestamp: 0x0102_0304)
        let bytes = try KitePacket(nifty, mode: .full).encoded()
        let words = stride(from: 0, to: 32, by: 4).map { bytes[$0..<$0 + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        #expect(words == [256265, 10000, 10400, 9900, 10300, 10100, UInt32(bitPattern: -100), 0x0102_0304])
    }

    @Test func depthLevelsArePaddedToFiveWithZeroedPadding() throws {
        let quote = KiteQuote(token: 408065, bids: [KiteDepthEntry(quantity: 1, price: 0.01, orders: 0xFFFF)])
        let bytes = try KitePacket(quote, mode: .full).encoded()
        #expect(Array(bytes[64..<76]) == [0, 0, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 0, 0])
        #expect(bytes[76...].allSatisfy { $0 == 0 })
    }

    static let unencodablePrices: [Double] = [-0.01, .nan, .infinity, -.infinity, 42_949_672.96, 1e300]

    @Test(arguments: unencodablePrices)
    func pricesThatDoNotFitFailAndLeaveTheBufferAsItWas(price: Double) {
        var bytes: [UInt8] = [9, 9]
        let error = #expect(throws: KiteError.self) {
            try KitePacket(KiteQuote(token: 408065, close: price), mode: .quote).encode(into: &bytes)
        }
        guard case .priceOutOfRange(408065, "close", let value)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(value == price || value.isNaN && price.isNaN)
        #expect(bytes == [9, 9])
    }

    @Test func theLargestPriceThatFitsEncodes() throws {
        let bytes = try KitePacket(KiteQuote(token: 408065, lastPrice: 42_949_672.95), mode: .ltp).encoded()
        #expect(Array(bytes[4..<8]) == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func aDepthPriceThatDoesNotFitNamesItsLevel() {
        let levels = [KiteDepthEntry(), KiteDepthEntry(price: -1)]
        #expect(throws: KiteError.priceOutOfRange(token: 408065, field: "asks[1].price", value: -1)) {
            try KitePacket(KiteQuote(token: 408065, asks: levels), mode: .full).encoded()
        }
    }

    @Test func moreThanFiveDepthLevelsFail() {
        let levels = Array(repeating: KiteDepthEntry(quantity: 1), count: 6)
        #expect(throws: KiteError.tooManyDepthLevels(token: 408065, side: "bids", count: 6)) {
            try KitePacket(KiteQuote(token: 408065, bids: levels), mode: .full).encoded()
        }
        #expect(throws: Never.self) { try KitePacket(KiteQuote(token: 408065, bids: levels), mode: .quote).encoded() }
    }

    @Test(arguments: [0, 4, 7, 9, 27, 45, 183, 185, 1000])
    func packetsOfUnknownLengthFail(length: Int) {
        #expect(throws: KiteError.unknownPacketLength(length, offset: 0)) {
            try KitePacket(decoding: [UInt8](repeating: 1, count: length))
        }
    }

    @Test func errorDescriptionsNameTheProblem() {
        #expect(KiteError.priceOutOfRange(token: 408065, field: "close", value: -1).description.contains("close -1.0 of instrument 408065"))
        #expect(KiteError.unknownPacketLength(12, offset: 4).description.contains("byte 4 is 12 bytes long"))
    }
}
