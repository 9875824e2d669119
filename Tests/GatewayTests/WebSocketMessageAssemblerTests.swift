import Testing
@testable import Gateway

@Suite struct WebSocketMessageAssemblerTests {
    /// Runs frames through an assembler and returns the messages, or the error that failed the connection.
    static func assemble(_ frames: [WebSocketFrame], maxMessageBytes: Int = 1000) -> ([WebSocketMessage], WebSocketError?) {
        var assembler = WebSocketMessageAssembler(maxMessageBytes: maxMessageBytes)
        var messages: [WebSocketMessage] = []
        for frame in frames {
            do {
                if let message = try assembler.assemble(frame) { messages.append(message) }
            } catch {
                return (messages, error)
            }
        }
        return (messages, nil)
    }

    static func fragment(_ opcode: WebSocketOpcode, _ bytes: [UInt8], final: Bool) -> WebSocketFrame {
        WebSocketFrame(isFinal: final, opcode: opcode, payload: bytes)
    }

    @Test func fragmentsJoinIntoOneMessageWithControlFramesBetween() {
        let (messages, error) = Self.assemble([
            Self.fragment(.text, .ascii("Hel"), final: false),
            Self.fragment(.ping, .ascii("p"), final: true),
            Self.fragment(.continuation, .ascii("lo"), final: false),
            Self.fragment(.continuation, [], final: true),
            Self.fragment(.binary, [1, 2], final: true),
        ])
        #expect(error == nil)
        #expect(messages == [.ping(.ascii("p")), .text("Hello"), .binary([1, 2])])
    }

    @Test func multibyteCharacterSplitAcrossFragmentsIsValid() {
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        let (messages, error) = Self.assemble([
            Self.fragment(.text, [euro[0]], final: false),
            Self.fragment(.continuation, [euro[1]], final: false),
            Self.fragment(.continuation, [euro[2]], final: true),
        ])
        #expect(error == nil)
        #expect(messages == [.text("€")])
    }

    @Test func invalidUTF8FailsAtTheFragmentThatBreaksIt() {
        let (messages, error) = Self.assemble([
            Self.fragment(.text, .ascii("ok"), final: false),
            Self.fragment(.continuation, [0xC0, 0xAF], final: false),
        ])
        #expect(messages.isEmpty)
        #expect(error?.code == .invalidFramePayloadData)
    }

    @Test func textEndingInsideACharacterFailsWith1007() {
        let (_, error) = Self.assemble([Self.fragment(.text, [0xE2, 0x82], final: true)])
        #expect(error?.code == .invalidFramePayloadData)
    }

    @Test func messageOverTheLimitFailsWith1009() {
        let (_, error) = Self.assemble([
            Self.fragment(.binary, [UInt8](repeating: 0, count: 6), final: false),
            Self.fragment(.continuation, [UInt8](repeating: 0, count: 5), final: true),
        ], maxMessageBytes: 10)
        #expect(error?.code == .messageTooBig)
    }

    @Test func continuationWithoutAMessageIsAProtocolError() {
        #expect(Self.assemble([Self.fragment(.continuation, [], final: true)]).1?.code == .protocolError)
    }

    @Test func newMessageDuringAFragmentedOneIsAProtocolError() {
        let (_, error) = Self.assemble([Self.fragment(.text, .ascii("a"), final: false), Self.fragment(.binary, [1], final: true)])
        #expect(error?.code == .protocolError)
    }

    static let closeFrames: [([UInt8], WebSocketMessage?, UInt16?)] = [
        ([], .close(nil, ""), nil),
        ([0x03, 0xE8], .close(.normalClosure, ""), nil),
        ([0x03, 0xE8] + .ascii("bye"), .close(.normalClosure, "bye"), nil),
        ([0x0F, 0xA0], .close(WebSocketCloseCode(rawValue: 4000), ""), nil),
        ([0x03], nil, 1002),
        ([0x03, 0xED], nil, 1002),
        ([0x03, 0xEE], nil, 1002),
        ([0x03, 0xE7], nil, 1002),
        ([0x13, 0x88], nil, 1002),
        ([0x03, 0xE8, 0xFF], nil, 1007),
    ]

    @Test(arguments: closeFrames)
    func closeFrameCodeAndReasonAreValidated(payload: [UInt8], message: WebSocketMessage?, code: UInt16?) {
        let (messages, error) = Self.assemble([WebSocketFrame(opcode: .close, payload: payload)])
        #expect(messages.first == message)
        #expect(error?.code.rawValue == code)
    }
}
