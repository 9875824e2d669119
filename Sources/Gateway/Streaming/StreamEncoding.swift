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

/// A message ready for a WebSocket: text (valid UTF-8) or binary.
public struct StreamMessage: Sendable, Equatable {
    public var isBinary: Bool
    public var bytes: [UInt8]
    public init(isBinary: Bool, bytes: [UInt8]) {
        self.isBinary = isBinary
        self.bytes = bytes
    }
}

/// How one streaming protocol turns ticks into messages; a value, usable from any thread.
public protocol StreamEncoding: Sendable {
    /// The slot (0..<`StreamHub.encodingSlots`) under which the hub caches this encoding's
    /// fragments of a tick, so each tick is encoded once per protocol and mode, not per session.
    var slot: Int { get }
    /// One tick, in `mode`, as a piece of a message.
    func fragment(of update: TickUpdate, mode: StreamMode) -> [UInt8]
    /// Whether messages are binary (else UTF-8 text).
    var isBinary: Bool { get }
    /// Starts a message in `buffer` (which is emptied first).
    func begin(_ buffer: inout ByteBuffer)
    /// Appends the `index`th fragment (0-based) of the message being built.
    func append(_ fragment: UnsafeRawBufferPointer, to buffer: inout ByteBuffer, index: Int)
    /// Completes a message of `count` fragments.
    func finish(_ buffer: inout ByteBuffer, count: Int)
    /// What an idle session is sent every `heartbeatInterval`, if the protocol has such a thing.
    var heartbeat: StreamMessage? { get }
}

extension StreamEncoding {
    /// No heartbeat by default.
    public var heartbeat: StreamMessage? { nil }

    /// The message carrying `fragments`, in order.
    func message(joining fragments: [[UInt8]]) -> StreamMessage {
        var buffer = ByteBuffer()
        defer { buffer.free() }
        begin(&buffer)
        for (index, fragment) in fragments.enumerated() { fragment.withUnsafeBytes { append($0, to: &buffer, index: index) } }
        finish(&buffer, count: fragments.count)
        return StreamMessage(isBinary: isBinary, bytes: buffer.bytes)
    }
}

extension WebSocket {
    /// Sends a message built by a `StreamEncoding`.
    func send(_ message: StreamMessage) -> SendResult {
        outbox.enqueue(.webSocketMessage(message.isBinary ? .binary : .text, message.bytes))
    }
}
