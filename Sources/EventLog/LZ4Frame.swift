import CLZ4

/// Compresses record bytes into one standard LZ4 frame with block and content checksums and the content size.
/// Holds a reusable LZ4F context: owned by one thread at a time (the appender under the log's lock).
final class LZ4FrameEncoder {
    private var context: OpaquePointer?
    private var preferences = LZ4F_preferences_t()
    private(set) var output: [UInt8] = []

    init() {
        _ = LZ4F_createCompressionContext(&context, UInt32(LZ4F_VERSION))
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockLinked
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        // The content checksum alone misses damage that decodes to the same bytes (a flipped match
        // offset that points at an identical run); a checksum of each compressed block does not.
        preferences.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled
        preferences.frameInfo.frameType = LZ4F_frame
        preferences.compressionLevel = 0
    }

    deinit { LZ4F_freeCompressionContext(context) }

    /// Compresses `raw` into `output` (valid until the next call); returns the frame length.
    func compress(_ raw: UnsafeRawBufferPointer) -> Int {
        preferences.frameInfo.contentSize = UInt64(raw.count)
        let bound = LZ4F_compressBound(raw.count, &preferences) + 32
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        return output.withUnsafeMutableBytes { out in
            let base = out.baseAddress!
            var written = 0
            // These only fail on a too-small destination, which compressBound rules out.
            for step in 0..<3 {
                let n: Int
                switch step {
                case 0: n = LZ4F_compressBegin(context, base, out.count, &preferences)
                case 1: n = LZ4F_compressUpdate(context, base + written, out.count - written, raw.baseAddress, raw.count, nil)
                default: n = LZ4F_compressEnd(context, base + written, out.count - written, nil)
                }
                precondition(LZ4F_isError(n) == 0, "LZ4F compression failed: \(String(cString: LZ4F_getErrorName(n)))")
                written += n
            }
            return written
        }
    }
}

/// Decompresses one LZ4 frame, verifying its checksums; owned by one reader thread at a time.
final class LZ4FrameDecoder {
    private var context: OpaquePointer?

    init() { _ = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION)) }
    deinit { LZ4F_freeDecompressionContext(context) }

    /// Decodes `frame` into `output` (resized to `rawLength`); returns a reason on any damage.
    func decompress(_ frame: UnsafeRawBufferPointer, rawLength: Int, into output: inout [UInt8]) -> String? {
        if output.count < rawLength { output = [UInt8](repeating: 0, count: max(rawLength, output.count * 2)) }
        var consumed = 0
        var produced = 0
        let failure: String? = output.withUnsafeMutableBytes { out in
            while true {
                var sourceSize = frame.count - consumed
                var destinationSize = rawLength - produced
                let hint = LZ4F_decompress(context, out.baseAddress! + produced, &destinationSize,
                                           frame.baseAddress! + consumed, &sourceSize, nil)
                if LZ4F_isError(hint) != 0 { return "LZ4 frame: \(String(cString: LZ4F_getErrorName(hint)))" }
                consumed += sourceSize
                produced += destinationSize
                if hint == 0 { break }
                if consumed >= frame.count { return "LZ4 frame is truncated" }
                if produced >= rawLength && destinationSize == 0 && sourceSize == 0 {
                    return "LZ4 frame holds more than the \(rawLength) bytes its header announces"
                }
            }
            if consumed != frame.count { return "LZ4 frame ends \(frame.count - consumed) bytes before the batch does" }
            if produced != rawLength { return "LZ4 frame holds \(produced) bytes, the header announces \(rawLength)" }
            return nil
        }
        if failure != nil { LZ4F_resetDecompressionContext(context) }
        return failure
    }
}
