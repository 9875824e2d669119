/// One binary KiteTicker WebSocket message: an int16 packet count, then per packet an int16 length and the
/// packet, all big-endian (kite.md "Ticker WebSocket"). Stateless, usable from any thread.
public enum KiteFrame {
    /// The one-byte message sent when there is nothing to stream; clients ignore anything shorter than a count.
    public static let heartbeat: [UInt8] = [0]

    /// The message carrying `packets` in order.
    public static func encode(_ packets: some Collection<KitePacket>) throws(KiteError) -> [UInt8] {
        guard packets.count <= Int(UInt16.max) else { throw .tooManyPackets(packets.count) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2 + packets.reduce(0) { $0 + 2 + $1.length })
        bytes.appendBigEndian(UInt16(packets.count))
        for packet in packets {
            bytes.appendBigEndian(UInt16(packet.length))
            try packet.encode(into: &bytes)
        }
        return bytes
    }

    /// The packets in a message; a heartbeat has none. Unlike the official clients, which skip what they cannot
    /// read, this fails on a truncated frame, an unknown packet length or bytes after the last packet.
    public static func decode(_ message: [UInt8]) throws(KiteError) -> [KitePacket] {
        guard message.count >= 2 else { return [] }
        var reader = BigEndianReader(message[...])
        let count = Int(try reader.read(UInt16.self))
        var packets: [KitePacket] = []
        packets.reserveCapacity(count)
        for _ in 0..<count {
            let length = Int(try reader.read(UInt16.self))
            let offset = reader.offset
            packets.append(try KitePacket(decoding: try reader.take(length), offset: offset))
        }
        guard reader.remaining == 0 else { throw .trailingBytes(offset: reader.offset, count: reader.remaining) }
        return packets
    }
}
