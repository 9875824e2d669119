import EventLog
import Testing
@testable import Gateway

/// Hostile client frame streams, fed to the frame decoder in random chunk sizes and assembled into messages.
@Suite struct WebSocketFuzzTests {
    static let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    static func masked(_ frames: [WebSocketFrame]) -> [UInt8] {
        frames.flatMap { WebSocketFrameEncoder.encode($0, maskingKey: mask) }
    }

    static let seeds: [[UInt8]] = [
        masked([WebSocketFrame(opcode: .text, payload: Array(#"{"action":"subscribe","tokens":[408065],"mode":"full"}"#.utf8))]),
        masked([WebSocketFrame(isFinal: false, opcode: .text, payload: Array("héllo ".utf8)),
                WebSocketFrame(opcode: .ping, payload: [1, 2, 3]),
                WebSocketFrame(isFinal: false, opcode: .continuation, payload: Array("wörld ".utf8)),
                WebSocketFrame(opcode: .continuation, payload: Array("日本".utf8))]),
        masked([WebSocketFrame(opcode: .binary, payload: Array(repeating: 0xAB, count: 200))]),
        masked([WebSocketFrame(opcode: .binary, payload: Array(0...255) + Array(0...255))]),
        masked([WebSocketFrame(opcode: .pong), WebSocketFrame(opcode: .close, payload: WebSocketFrameEncoder.closePayload(code: .normalClosure, reason: "bye"))]),
        masked([WebSocketFrame(opcode: .text, payload: Array(#"{"a":"mode","v":["full",[408065,884737]]}"#.utf8)),
                WebSocketFrame(opcode: .close)]),
    ]

    static let dictionary: [[UInt8]] = [[0x81], [0x80], [0x01], [0x88], [0x89], [0x8A], [0x82], [0x00], [0xFE, 0xFF, 0xFF],
                                        [0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x03, 0xE8], [0xC0, 0x80], [0xED, 0xA0, 0x80]]

    /// Everything one stream produced: frames, the messages they assembled into, and the error that ended it.
    struct Outcome: Equatable {
        var frames: [WebSocketFrame] = []
        var messages: [WebSocketMessage] = []
        var error: WebSocketError?
    }

    static let maxFrameBytes = 300
    static let maxMessageBytes = 600

    /// Decodes and assembles `bytes` fed in the given chunk sizes (whole when empty), checking the limits on the way.
    static func decode(_ bytes: [UInt8], chunks: [Int]) throws -> Outcome {
        var decoder = WebSocketFrameDecoder(maxFrameBytes: maxFrameBytes)
        var assembler = WebSocketMessageAssembler(maxMessageBytes: maxMessageBytes)
        var outcome = Outcome()
        var start = 0
        var sizes = chunks.makeIterator()
        feeding: while start < bytes.count {
            let end = min(bytes.count, start + (sizes.next() ?? bytes.count))
            decoder.append(bytes[start..<end])
            start = end
            do {
                while let frame = try decoder.next() {
                    outcome.frames.append(frame)
                    guard frame.payload.count <= maxFrameBytes else { throw FuzzViolation("a frame of \(frame.payload.count) bytes passed the frame limit") }
                    if frame.opcode.isControl, frame.payload.count > 125 || !frame.isFinal {
                        throw FuzzViolation("a control frame is fragmented or over 125 bytes: \(frame)")
                    }
                    if let message = try assembler.assemble(frame) {
                        outcome.messages.append(message)
                        if case .binary(let data) = message, data.count > maxMessageBytes { throw FuzzViolation("a message of \(data.count) bytes passed the message limit") }
                        if case .text(let text) = message, text.utf8.count > maxMessageBytes { throw FuzzViolation("a text of \(text.utf8.count) bytes passed the message limit") }
                    }
                }
                // Waiting for the rest of a frame holds at most its 14-byte header (with mask) and its payload.
                guard decoder.bufferedByteCount <= 14 + maxFrameBytes else {
                    throw FuzzViolation("the decoder buffers \(decoder.bufferedByteCount) bytes while waiting, over 14 + \(maxFrameBytes)")
                }
            } catch let error as WebSocketError {
                // The server sends this code and reason in its close frame (RFC 6455 §5.5, §7.4.1).
                guard error.code.isSendable, error.reason.utf8.count <= 123 else { throw FuzzViolation("the failure \(error) cannot be sent in a close frame") }
                outcome.error = error
                break feeding
            }
        }
        return outcome
    }

    @Test func mutatedFrameStreamsFedInRandomChunksNeverCrashHangOrPassTheLimits() {
        let campaign = FuzzCampaign("websocket-frames", defaultSeed: 0x5753_4652, seeds: Self.seeds, dictionary: Self.dictionary, maxLength: 4096)
        let report = campaign.run { bytes, rng in
            let whole = try Self.decode(bytes, chunks: [])
            let maxChunk = [1, 2, 7, 64][rng.index(4)]
            let split = try Self.decode(bytes, chunks: (0..<bytes.count).map { _ in 1 + rng.index(maxChunk) })
            guard whole == split else { throw FuzzViolation("chunks of at most \(maxChunk) bytes gave \(split), the whole stream gave \(whole)") }
        }
        report.expectClean("WebSocket frame decoder and message assembler")
    }
}
