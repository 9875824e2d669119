import Testing
@testable import Gateway

@Suite struct KiteFrameTests {
    static let ltp = KitePacket(KiteQuote(token: 408065, lastPrice: 1573.15), mode: .ltp)
    static let full = KitePacket(KiteQuote(token: 884737, lastPrice: 392.95, close: 414.1), mode: .full)

    @Test func aFrameIsTheCountThenEachLengthAndPacket() throws {
        let frame = try KiteFrame.encode([Self.ltp, Self.full])
        #expect(frame.count == 2 + 2 + 8 + 2 + 184)
        #expect(Array(frame[0..<4]) == [0, 2, 0, 8])
        #expect(Array(frame[4..<12]) == (try Self.ltp.encoded()))
        #expect(Array(frame[12..<14]) == [0, 184])
        #expect(Array(frame[14...]) == (try Self.full.encoded()))
    }

    @Test func decodingInvertsEncodingForSeededRandomFrames() throws {
        var random = SeededGenerator(seed: 0xF4A3E)
        for _ in 0..<300 {
            let quotes = (0..<Int.random(in: 0...12, using: &random)).map { _ in KiteQuote.random(using: &random) }
            let modes = quotes.map { _ in KiteMode.allCases.randomElement(using: &random)! }
            let frame = try KiteFrame.encode(zip(quotes, modes).map { KitePacket($0, mode: $1) })
            let expected = zip(quotes, modes).map { KitePacket($0.carried(in: $1), mode: $1) }
            #expect(try KiteFrame.decode(frame) == expected)
        }
    }

    @Test func heartbeatIsOneByteAndCarriesNoPackets() throws {
        #expect(KiteFrame.heartbeat.count == 1)
        #expect(try KiteFrame.decode(KiteFrame.heartbeat).isEmpty)
        #expect(try KiteFrame.decode([]).isEmpty)
        #expect(try KiteFrame.decode([0, 0]).isEmpty)
    }

    @Test func everyTruncationOfAFrameFailsAsTruncated() throws {
        let frame = try KiteFrame.encode([Self.ltp, Self.full])
        for cut in 2..<frame.count {
            let error = #expect(throws: KiteError.self) { try KiteFrame.decode(Array(frame[..<cut])) }
            guard case .truncatedFrame? = error else { Issue.record("cut at \(cut): \(String(describing: error))"); continue }
        }
    }

    @Test func bytesAfterTheLastPacketFail() throws {
        let frame = try KiteFrame.encode([Self.ltp]) + [0xAA]
        #expect(throws: KiteError.trailingBytes(offset: 12, count: 1)) { try KiteFrame.decode(frame) }
    }

    @Test func aPacketOfUnknownLengthFailsWithItsOffset() {
        let frame: [UInt8] = [0, 1, 0, 12] + [UInt8](repeating: 0, count: 12)
        #expect(throws: KiteError.unknownPacketLength(12, offset: 4)) { try KiteFrame.decode(frame) }
    }

    @Test func moreThan65535PacketsFail() {
        let packets = Array(repeating: Self.ltp, count: 65_536)
        #expect(throws: KiteError.tooManyPackets(65_536)) { try KiteFrame.encode(packets) }
    }
}
