import Foundation
import Testing
@testable import Gateway

/// Messages framed in place (the hub's path) are byte for byte what the frame encoder makes, at
/// every header length, and the decoder reads them back.
@Suite struct FrameBufferTests {
    /// Payload sizes at each edge of the 2-, 4- and 10-byte headers (RFC 6455 §5.2).
    static let sizes = [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]

    @Test(arguments: sizes) func aMessageBuiltInPlaceIsTheEncodersFrame(size: Int) throws {
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for isBinary in [false, true] {
            var buffer = FrameBuffer(capacity: 16)
            defer { buffer.free() }
            // Written in pieces, as ticks are, through the growth of the buffer.
            for start in stride(from: 0, to: size, by: 997) {
                payload[start..<min(size, start + 997)].withUnsafeBytes { buffer.append($0) }
            }
            let message = buffer.message(isBinary: isBinary)
            let expected = WebSocketFrameEncoder.encode(WebSocketFrame(opcode: isBinary ? .binary : .text, payload: payload))
            #expect(message.frame == expected)
            #expect(message == StreamMessage(isBinary: isBinary, bytes: payload))
            #expect(message.bytes == payload)
            #expect(message.isBinary == isBinary)

            var decoder = WebSocketFrameDecoder(maxFrameBytes: 1 << 20, requiresMask: false)
            decoder.append(expected[...])
            let frame = try #require(try decoder.next())
            #expect(frame.payload == payload && frame.opcode == (isBinary ? .binary : .text) && frame.isFinal)
        }
    }

    @Test func emptyingKeepsRoomForTheHeaderAndSetWritesIntoThePayload() {
        var buffer = FrameBuffer()
        defer { buffer.free() }
        buffer.append(Array("xx-ignored".utf8))
        buffer.removeAll()
        #expect(buffer.payloadCount == 0)
        buffer.append([0, 0])
        buffer.append(Array("abc".utf8))
        buffer.set(9, atPayload: 1)
        #expect(buffer.message(isBinary: true).bytes == [0, 9] + Array("abc".utf8))
    }

    @Test func bothEncodingsJoinFragmentsAsTheirProtocolsSay() {
        let v2 = V2Encoding().message(joining: [Array("{\"a\":1}".utf8), Array("{\"b\":2}".utf8)])
        #expect(String(decoding: v2.bytes, as: UTF8.self) == #"{"type":"ticks","data":[{"a":1},{"b":2}]}"#)
        #expect(String(decoding: V2Encoding().message(joining: []).bytes, as: UTF8.self) == #"{"type":"ticks","data":[]}"#)
        // Kite: a packet count, then each packet after its length (the fragments carry their lengths).
        let kite = KiteEncoding().message(joining: [[0, 2, 7, 8], [0, 1, 9]])
        #expect(kite.bytes == [0, 2, 0, 2, 7, 8, 0, 1, 9])
        #expect(kite.isBinary)
    }
}
