import Testing
@testable import Gateway

/// The codec against real packets: the kiteconnect-mocks ticks and the kiteconnectjs test messages.
@Suite struct KitePacketSampleTests {
    static func mockQuote(_ mode: KiteMode) throws -> KiteQuote {
        try KiteQuote(mockJSON: KiteTickerSamples.json("kiteconnect-mocks_ticker_\(mode.rawValue).json"))
    }

    static func mockPacket(_ mode: KiteMode) throws -> [UInt8] {
        try KiteTickerSamples.base64Packet("kiteconnect-mocks_ticker_\(mode.rawValue).packet")
    }

    @Test(arguments: [KiteMode.quote, .full])
    func encodingTheMockValuesGivesTheMockPacketFieldForField(mode: KiteMode) throws {
        let encoded = try KitePacket(try Self.mockQuote(mode), mode: mode).encoded()
        let differences = KiteWireFields.differences(expected: try Self.mockPacket(mode), actual: encoded)
        #expect(differences.isEmpty, "\(mode) packet differs from the mock in:\n\(differences.joined(separator: "\n"))")
    }

    @Test(arguments: [KiteMode.quote, .full])
    func decodingTheMockPacketGivesTheMockValues(mode: KiteMode) throws {
        let packet = try KitePacket(decoding: try Self.mockPacket(mode))
        #expect(packet.mode == mode)
        #expect(packet.quote == (try Self.mockQuote(mode)))
    }

    @Test(arguments: [KiteMode.quote, .full])
    func base64MocksMatchTheirDecodedCopies(mode: KiteMode) throws {
        #expect(try Self.mockPacket(mode) == KiteTickerSamples.bytes("kiteconnect-mocks_ticker_\(mode.rawValue).decoded.bin"))
    }

    /// The mocks ship no LTP packet, but an LTP packet is a quote packet's first two fields.
    @Test func ltpMockEncodesAsTheQuotePacketsTokenAndPrice() throws {
        let ltp = try KitePacket(try Self.mockQuote(.ltp), mode: .ltp).encoded()
        let differences = KiteWireFields.differences(expected: Array(try Self.mockPacket(.quote).prefix(8)), actual: ltp)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    /// The mocks' `change` is last price minus close (as the Go client derives it); the Python client reports percent.
    @Test func changeMatchesBothOfficialClients() throws {
        let full = try KitePacket(decoding: try Self.mockPacket(.full)).quote
        let mockChange = try #require(try KiteTickerSamples.json("kiteconnect-mocks_ticker_full.json")["change"] as? Double)
        #expect(full.netChange == mockChange)
        // `KiteTicker._parse_binary` (kiteconnect 5.2.2) on this packet.
        #expect(full.changePercent == 0.3763235106518747)
        #expect(KiteQuote(token: 408065, lastPrice: 1).changePercent == 0)
    }

    /// What kiteconnect 5.2.2's `KiteTicker._parse_binary` decodes from the kiteconnectjs test messages.
    static let kiteconnectjsFull = KiteQuote(
        token: 884737, lastPrice: 392.95, lastQuantity: 2, averagePrice: 403.07, volume: 22261032,
        buyQuantity: 5617, sellQuantity: 0, open: 420.0, high: 420.9, low: 390.1, close: 414.1,
        lastTradeTime: 1655375264, exchangeTimestamp: 1655378328,
        bids: [KiteDepthEntry(quantity: 5617, price: 392.95, orders: 30)] + Array(repeating: KiteDepthEntry(), count: 4),
        asks: Array(repeating: KiteDepthEntry(), count: 5))

    @Test(arguments: KiteMode.allCases)
    func kiteconnectjsMessagesDecodeAsThePythonClientReadsThemAndReencodeExactly(mode: KiteMode) throws {
        let message = try KiteTickerSamples.bytes("kiteconnectjs_\(mode.rawValue)Mode_binary.packet")
        let packets = try KiteFrame.decode(message)
        #expect(packets == [KitePacket(Self.kiteconnectjsFull.carried(in: mode), mode: mode)])
        let reencoded = try KiteFrame.encode(packets)
        let differences = KiteWireFields.differences(expected: Array(message.dropFirst(4)), actual: Array(reencoded.dropFirst(4)))
        #expect(reencoded.prefix(4) == message.prefix(4), "frame header differs")
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }
}
