import EventLog
import Projections

/// One tick as the hub pushes it: where it sits in the log, and the quote it leaves behind.
public struct TickUpdate: Sendable {
    public var offset: UInt64
    public var time: Timestamp
    public var tick: Tick
    /// The token's quote after this tick (day open, high, low, volume, previous close).
    public var quote: Quote
    public init(offset: UInt64, time: Timestamp, tick: Tick, quote: Quote) {
        self.offset = offset
        self.time = time
        self.tick = tick
        self.quote = quote
    }

    /// The last tick a quote holds, as an update (for snapshots).
    public init(quote: Quote) {
        self.init(offset: quote.lastOffset, time: quote.lastTime,
                  tick: Tick(token: quote.token, price: quote.lastPrice, decimals: quote.decimals, volume: quote.lastQuantity,
                             openInterest: quote.openInterest, bid: quote.bid, ask: quote.ask),
                  quote: quote)
    }
}

/// A message ready for a WebSocket, already framed (RFC 6455 §5.2): the event loop writes its
/// bytes as they are.
public struct StreamMessage: Sendable, Equatable {
    /// The whole unmasked frame, header included.
    let frame: [UInt8]

    /// Frames `bytes` as a text (valid UTF-8) or binary message.
    public init(isBinary: Bool, bytes: [UInt8]) {
        frame = WebSocketFrameEncoder.encode(WebSocketFrame(opcode: isBinary ? .binary : .text, payload: bytes))
    }

    /// Wraps a frame built in place (see `FrameBuffer`).
    init(frame: [UInt8]) { self.frame = frame }

    public var isBinary: Bool { frame[0] & 0x0F == WebSocketOpcode.binary.rawValue }

    /// The payload, without the frame header.
    public var bytes: [UInt8] {
        let lengthCode = frame[1] & 0x7F
        return Array(frame[(lengthCode < 126 ? 2 : lengthCode == 126 ? 4 : 10)...])
    }
}

/// How one streaming protocol turns ticks into messages; a value, usable from any thread.
///
/// A message is `head`, then the fragments of its ticks with `separator` between them, then
/// whatever `finish` writes: the hub builds it straight into each session's buffer.
public protocol StreamEncoding: Sendable {
    /// The slot (0..<`StreamHub.encodingSlots`) under which the hub caches this encoding's
    /// fragments of a tick, so each tick is encoded once per protocol and mode, not per session.
    var slot: Int { get }
    /// One tick, in `mode`, as a piece of a message.
    func fragment(of update: TickUpdate, mode: StreamMode) -> [UInt8]
    /// Whether messages are binary (else UTF-8 text).
    var isBinary: Bool { get }
    /// What every message starts with.
    var head: [UInt8] { get }
    /// The byte between two fragments, if any.
    var separator: UInt8? { get }
    /// Completes a message of `count` fragments.
    func finish(_ message: inout FrameBuffer, count: Int)
    /// What an idle session is sent every `heartbeatInterval`, if the protocol has such a thing.
    var heartbeat: StreamMessage? { get }
}

extension StreamEncoding {
    /// No heartbeat by default.
    public var heartbeat: StreamMessage? { nil }

    /// Appends the `index`th fragment (0-based) of the message being built in `message`.
    func append(_ fragment: UnsafeRawBufferPointer, to message: inout FrameBuffer, index: Int) {
        head.withUnsafeBytes { message.append(fragment: fragment, index: index, head: $0, separator: separator) }
    }

    /// The message carrying `fragments`, in order.
    func message(joining fragments: [[UInt8]]) -> StreamMessage {
        var buffer = FrameBuffer()
        defer { buffer.free() }
        if fragments.isEmpty { buffer.append(head) }
        for (index, fragment) in fragments.enumerated() { fragment.withUnsafeBytes { append($0, to: &buffer, index: index) } }
        finish(&buffer, count: fragments.count)
        return buffer.message(isBinary: isBinary)
    }
}

extension WebSocket {
    /// Sends a framed message.
    func send(_ message: StreamMessage) -> SendResult {
        outbox.enqueue(.webSocketFrame(message.frame))
    }
}
