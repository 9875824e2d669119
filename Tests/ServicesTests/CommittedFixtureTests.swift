import EventLog
import Foundation
import Services
import Testing

@Suite struct CommittedFixtureTests {
    /// The committed, compressed master is exactly what seed 1 generates today.
    @Test func theGeneratorReproducesTheCommittedMasterByteForByte() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let compressed = root.appendingPathComponent("Fixtures/instruments.csv.lz4").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/lz4")
        process.arguments = ["-d", "-c", "-q", compressed]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let committed = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let generated = KiteInstrumentCSV.encode(InstrumentFixture.generate(seed: 1).active)
        #expect(committed.count == generated.utf8.count)
        #expect(committed == Data(generated.utf8))
    }
}
