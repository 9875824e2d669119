import EventLog
import Foundation
import Glibc

/// A fresh directory under /tmp, removed when the value is dropped.
final class TemporaryDirectory {
    let path: String
    init() {
        var template = Array("/tmp/tape-test-XXXXXX".utf8CString)
        path = String(cString: mkdtemp(&template)!)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    var log: String { path + "/log" }
}

/// A deterministic tick at offset `n`, so that a reader can check any entry it finds.
func tickRecord(_ n: UInt64) -> Record {
    Record(time: Timestamp(nanoseconds: 1_764_300_000_000_000_000 + Int64(n) * 1_000),
           event: .tick(Tick(token: UInt32(n % 2000) + 1, price: Int64(n % 100_000), volume: n)))
}

func tickRecords(_ range: Range<UInt64>) -> [Record] { range.map(tickRecord) }

/// Flips one byte of a file in place.
func flipByte(in path: String, at position: Int64) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    try handle.seek(toOffset: UInt64(position))
    let byte = try handle.read(upToCount: 1)![0]
    try handle.seek(toOffset: UInt64(position))
    try handle.write(contentsOf: [byte ^ 0x5A])
    try handle.close()
}

func fileSize(_ path: String) -> Int64 {
    var st = stat()
    return stat(path, &st) == 0 ? Int64(st.st_size) : -1
}
