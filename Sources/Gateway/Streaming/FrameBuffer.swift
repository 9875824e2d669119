/// A WebSocket data message built in place: the payload is written after room for the longest
/// frame header, which `message(isBinary:)` fills in, so the finished frame is one copy away
/// from the wire (no framing copy on the event loop).
///
/// Like `ByteBuffer`, a value whose memory its creator owns: call `free()` exactly once.
public struct FrameBuffer {
    /// The longest unmasked header (RFC 6455 §5.2).
    private static let headerRoom = 10
    private static let room = [UInt8](repeating: 0, count: headerRoom)
    private var storage: ByteBuffer

    public init(capacity: Int = 4096) {
        storage = ByteBuffer(capacity: capacity + Self.headerRoom)
        storage.append(Self.room)
    }

    public func free() { storage.free() }

    /// Payload bytes written so far.
    public var payloadCount: Int { storage.count - Self.headerRoom }

    /// Empties the payload.
    public mutating func removeAll() {
        storage.removeAll()
        storage.append(Self.room)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) { storage.append(bytes) }
    public mutating func append(_ bytes: [UInt8]) { storage.append(bytes) }
    public mutating func append(_ byte: UInt8) { storage.append(byte) }

    /// Appends the `index`th fragment (0-based) of a message laid out as `head`, then fragments
    /// with `separator` between them (see `StreamEncoding`).
    @inline(__always)
    public mutating func append(fragment: UnsafeRawBufferPointer, index: Int, head: UnsafeRawBufferPointer, separator: UInt8?) {
        if index == 0 {
            storage.append(head)
        } else if let separator {
            storage.append(separator)
        }
        storage.append(fragment)
    }

    /// Overwrites a payload byte already written.
    public mutating func set(_ byte: UInt8, atPayload index: Int) { storage.set(byte, at: Self.headerRoom + index) }

    /// Calls `body` with the finished frame, header and payload, in the buffer's own memory.
    func withFrame<Result>(isBinary: Bool, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let payload = payloadCount
        let headerLength = WebSocketFrameEncoder.headerLength(payloadCount: payload)
        let start = storage.base + (Self.headerRoom - headerLength)
        WebSocketFrameEncoder.writeHeader(isBinary ? .binary : .text, payloadCount: payload, to: start)
        return body(UnsafeRawBufferPointer(start: start, count: headerLength + payload))
    }

    /// The finished message: header and payload, as one array.
    func message(isBinary: Bool) -> StreamMessage {
        withFrame(isBinary: isBinary) { StreamMessage(frame: Array($0)) }
    }
}
