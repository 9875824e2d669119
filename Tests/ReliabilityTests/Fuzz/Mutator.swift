import EventLog

/// Derives hostile inputs from valid ones: bit flips, byte inserts and deletes, splices with
/// another seed, interesting values, tweaked length fields and truncation.
///
/// Deterministic: the same generator state and seeds give the same input. Owned by one campaign.
struct Mutator {
    /// Byte strings that mean something to the target (`\r\n`, `chunked`, `{`), inserted or overwritten whole.
    let dictionary: [[UInt8]]
    /// Inputs never grow past this, so one input stays cheap.
    let maxLength: Int

    /// Bytes that sit at the edges of signed and unsigned ranges, and ASCII that parsers branch on.
    private static let interestingBytes: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x0D, 0x0A, 0x20, 0x09, 0x3A, 0x22, 0x5C, 0x2C, 0xC0, 0xED, 0xF4]
    /// Decimal texts that break length arithmetic: zero, signs, and values past 32 and 64 bits.
    private static let interestingNumbers = ["0", "1", "-1", "00", "127", "128", "255", "256", "65535", "65536", "2147483647",
                                             "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
                                             "18446744073709551616", "99999999999999999999999", "1e309", "-0", "0x10", "1.5", "NaN"]

    init(dictionary: [[UInt8]] = [], maxLength: Int = 64 * 1024) {
        self.dictionary = dictionary
        self.maxLength = maxLength
    }

    /// One to four mutations of `input`; `seeds` supplies splice partners.
    func mutate(_ input: [UInt8], seeds: [[UInt8]], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + rng.index(4)) {
            mutateOnce(&bytes, seeds: seeds, using: &rng)
            if bytes.count > maxLength { bytes.removeLast(bytes.count - maxLength) }
        }
        return bytes
    }

    private func mutateOnce(_ bytes: inout [UInt8], seeds: [[UInt8]], using rng: inout SplitMix64) {
        switch rng.index(11) {
        case 0 where !bytes.isEmpty:
            bytes[rng.index(bytes.count)] ^= 1 << UInt8(rng.index(8))
        case 1 where !bytes.isEmpty:
            bytes[rng.index(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
        case 2:
            let run = (0..<(1 + rng.index(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            bytes.insert(contentsOf: run, at: rng.index(bytes.count + 1))
        case 3 where !bytes.isEmpty:
            let start = rng.index(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + rng.index(16)))
        case 4:
            splice(&bytes, with: seeds[rng.index(seeds.count)], using: &rng)
        case 5 where !bytes.isEmpty:
            bytes[rng.index(bytes.count)] = Self.interestingBytes[rng.index(Self.interestingBytes.count)]
        case 6 where !dictionary.isEmpty:
            let word = dictionary[rng.index(dictionary.count)]
            let at = rng.index(bytes.count + 1)
            if rng.index(2) == 0 || at + word.count > bytes.count {
                bytes.insert(contentsOf: word, at: at)
            } else {
                bytes.replaceSubrange(at..<(at + word.count), with: word)
            }
        case 7:
            tweakDecimalNumber(&bytes, using: &rng)
        case 8 where bytes.count >= 2:
            tweakBinaryField(&bytes, using: &rng)
        case 9 where !bytes.isEmpty:
            bytes.removeLast(1 + rng.index(bytes.count))
        case 10 where !bytes.isEmpty:
            // Repeats a range so that inputs reach the size limits of what they feed.
            let start = rng.index(bytes.count)
            let piece = bytes[start..<min(bytes.count, start + 1 + rng.index(64))]
            let copies = Array(repeatElement(piece, count: 1 + rng.index(200)).joined())
            bytes.insert(contentsOf: copies, at: start)
        default:
            bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.index(bytes.count + 1))
        }
    }

    /// Joins a prefix of `bytes` to a suffix of `other`.
    private func splice(_ bytes: inout [UInt8], with other: [UInt8], using rng: inout SplitMix64) {
        let cut = rng.index(bytes.count + 1)
        let from = rng.index(other.count + 1)
        bytes = Array(bytes[0..<cut]) + other[from...]
    }

    /// Replaces a run of ASCII digits (a Content-Length, a chunk size, a JSON number) with a boundary value or its neighbour.
    private func tweakDecimalNumber(_ bytes: inout [UInt8], using rng: inout SplitMix64) {
        let digitPositions = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
        guard !digitPositions.isEmpty else { return }
        var start = digitPositions[rng.index(digitPositions.count)]
        while start > 0, (0x30...0x39).contains(bytes[start - 1]) { start -= 1 }
        var end = start
        while end < bytes.count, (0x30...0x39).contains(bytes[end]) { end += 1 }
        let replacement: String
        if rng.index(2) == 0, let value = Int(String(decoding: bytes[start..<end], as: UTF8.self)) {
            replacement = String(value &+ rng.next(in: -2...2))
        } else {
            replacement = Self.interestingNumbers[rng.index(Self.interestingNumbers.count)]
        }
        bytes.replaceSubrange(start..<end, with: Array(replacement.utf8))
    }

    /// Adds a small delta to, or sets a boundary value in, a 1-, 2- or 4-byte field in either byte order.
    private func tweakBinaryField(_ bytes: inout [UInt8], using rng: inout SplitMix64) {
        let width = [1, 2, 4][rng.index(3)]
        guard bytes.count >= width else { return }
        let at = rng.index(bytes.count - width + 1)
        let isBigEndian = rng.index(2) == 0
        var value: UInt32 = 0
        for k in 0..<width {
            let byte = UInt32(bytes[at + (isBigEndian ? k : width - 1 - k)])
            value = value << 8 | byte
        }
        switch rng.index(3) {
        case 0: value &+= UInt32(bitPattern: Int32(rng.next(in: -16...16)))
        case 1: value = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF][rng.index(10)]
        default: value = ~value
        }
        for k in 0..<width {
            let shift = UInt32(8 * (isBigEndian ? width - 1 - k : k))
            bytes[at + k] = UInt8(truncatingIfNeeded: value >> shift)
        }
    }
}
