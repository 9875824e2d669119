import Testing
@testable import Gateway

@Suite struct WebSocketFrameDecoderTests {
    /// Feeds bytes one at a time and returns the frames, or the error that ended decoding.
    static func decodeByteByByte(_ bytes: [UInt8], maxFrameBytes: Int = 1 << 20, requiresMask: Bool = true) -> ([WebSocketFrame], WebSocketError?) {
        var decoder = WebSocketFrameDecoder(maxFrameBytes: maxFrameBytes, requiresMask: requiresMask)
        var frames: [WebSocketFrame] = []
        for byte in bytes {
            decoder.append(CollectionOfOne(byte))
            do {
                while let frame = try decoder.next() { frames.append(frame) }
            } catch {
                return (frames, error)
            }
        }
        return (frames, nil)
    }

    static let hello: [UInt8] = .ascii("Hello")

    @Test func maskedTextExampleFromRFC6455Section5_7() {
        let (frames, error) = Self.decodeByteByByte([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(error == nil)
        #expect(frames == [WebSocketFrame(opcode: .text, payload: Self.hello)])
    }

    @Test func unmaskedExamplesFromRFC6455Section5_7() {
        let bytes: [UInt8] = [0x81, 0x05] + Self.hello + [0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F, 0x89, 0x05] + Self.hello
        let (frames, error) = Self.decodeByteByByte(bytes, requiresMask: false)
        #expect(error == nil)
        #expect(frames == [
            WebSocketFrame(opcode: .text, payload: Self.hello),
            WebSocketFrame(isFinal: false, opcode: .text, payload: .ascii("Hel")),
            WebSocketFrame(isFinal: true, opcode: .continuation, payload: .ascii("lo")),
            WebSocketFrame(opcode: .ping, payload: Self.hello),
        ])
    }

    @Test(arguments: [0, 1, 125, 126, 127, 65535, 65536, 70000])
    func maskedFramesOfEveryLengthEncodingRoundTrip(length: Int) {
        var random = SeededGenerator(seed: UInt64(length))
        let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
        let frame = WebSocketFrame(opcode: .binary, payload: payload)
        let wire = WebSocketFrameEncoder.encode(frame, maskingKey: [0x12, 0x34, 0x56, 0x78])
        var decoder = WebSocketFrameDecoder(maxFrameBytes: 1 << 20)
        // Splitting at every header boundary and once in the payload exercises each "need more" path without 70k iterations.
        for piece in [wire[0..<1], wire[1..<2], wire[2..<min(wire.count, 5)], wire[min(wire.count, 5)...]] {
            decoder.append(piece)
        }
        #expect((try? decoder.next()) == frame)
        #expect((try? decoder.next()) == Optional<WebSocketFrame>.none)
    }

    @Test func serverFramesUseTheShortestLengthForm() {
        #expect(WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .text, payload: Self.hello)) == [0x81, 0x05] + Self.hello)
        #expect(Array(WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 0, count: 256))).prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        #expect(Array(WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 0, count: 65536))).prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    static let invalidFrames: [(String, [UInt8], UInt16)] = [
        ("unmasked client frame", [0x81, 0x05] + hello, 1002),
        ("reserved bit set", [0xC1, 0x80, 0, 0, 0, 0], 1002),
        ("reserved data opcode", [0x83, 0x80, 0, 0, 0, 0], 1002),
        ("reserved control opcode", [0x8B, 0x80, 0, 0, 0, 0], 1002),
        ("fragmented ping", [0x09, 0x80, 0, 0, 0, 0], 1002),
        ("ping longer than 125", [0x89, 0xFE, 0x00, 0x7E], 1002),
        ("16-bit length not minimal", [0x82, 0xFE, 0x00, 0x05], 1002),
        ("64-bit length not minimal", [0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], 1002),
        ("64-bit length high bit", [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0], 1002),
        ("frame over the limit", [0x82, 0xFE, 0x10, 0x00], 1009),
    ]

    @Test(arguments: invalidFrames)
    func invalidFrameFailsWithTheRightCloseCode(name: String, bytes: [UInt8], code: UInt16) {
        let (frames, error) = Self.decodeByteByByte(bytes, maxFrameBytes: 1000)
        #expect(frames.isEmpty, "\(name)")
        #expect(error?.code.rawValue == code, "\(name)")
    }

    @Test func decoderStaysFailedAfterAnError() {
        var decoder = WebSocketFrameDecoder(maxFrameBytes: 100)
        decoder.append([0x81, 0x05])
        #expect(throws: WebSocketError.self) { try decoder.next() }
        decoder.append(WebSocketFrameEncoder.encode(WebSocketFrame(opcode: .text, payload: Self.hello), maskingKey: [1, 2, 3, 4]))
        #expect(throws: WebSocketError.self) { try decoder.next() }
    }

    @Test func closePayloadCutsTheReasonOnACharacterBoundary() {
        let payload = WebSocketFrameEncoder.closePayload(code: .goingAway, reason: String(repeating: "é", count: 100))
        #expect(payload.count <= 125)
        #expect(Array(payload.prefix(2)) == [0x03, 0xE9])
        #expect(String(validating: payload[2...], as: UTF8.self) != nil)
    }
}
