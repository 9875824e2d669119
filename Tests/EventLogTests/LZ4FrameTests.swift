@testable import EventLog
import Testing

@Suite struct LZ4FrameTests {
    /// Repetitive records compress into matches whose offsets may point at any copy of the same
    /// bytes: a flipped offset can then decode to identical content, which the content checksum
    /// alone passes (the soak found two such cases in 10,000). Every single-byte change anywhere in
    /// the frame must be reported.
    @Test func everyChangedByteOfAFrameIsReported() {
        var raw: [UInt8] = []
        for i in 0..<64 { raw += [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, UInt8(i % 3)] }
        let encoder = LZ4FrameEncoder()
        let length = raw.withUnsafeBytes { encoder.compress($0) }
        let frame = Array(encoder.output[0..<length])
        let decoder = LZ4FrameDecoder()
        var output: [UInt8] = []
        let intact = frame.withUnsafeBytes { decoder.decompress($0, rawLength: raw.count, into: &output) }
        #expect(intact == nil)
        #expect(Array(output[0..<raw.count]) == raw)

        var unreported: [(position: Int, mask: UInt8)] = []
        for position in frame.indices {
            for mask in UInt8(1)...UInt8(255) {
                var damaged = frame
                damaged[position] ^= mask
                let failure = damaged.withUnsafeBytes { decoder.decompress($0, rawLength: raw.count, into: &output) }
                if failure == nil { unreported.append((position, mask)) }
            }
        }
        #expect(unreported.isEmpty, "\(unreported.count) single-byte changes decoded without an error, e.g. \(unreported.prefix(5))")
    }
}
