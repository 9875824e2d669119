import EventLog
import Foundation
import Testing
@testable import Gateway

/// `/ws/kite` driven by the unmodified official `kiteconnect` Python client (`KiteTicker`),
/// through `Tests/Scripts/kite_client.py`.
@Suite struct KiteStreamingTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/kite_client.py").path

    /// Runs the client against the fixture while a writer appends ticks of `tokens` every 10 ms.
    static func runClient(_ fixture: StreamingFixture, tokens: [UInt32], accessToken: String,
                          arguments: [String] = []) throws -> (status: Int32, lines: [[String: Any]], errors: String, appended: [(UInt32, Int64)]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "ws://127.0.0.1:\(fixture.port)/ws/kite"] + tokens.map(String.init) +
            ["--api-key", "kite-app-id", "--access-token", accessToken, "--timeout", "60"] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()

        let appended = Locked<[(UInt32, Int64)]>([])
        let log = fixture.server.log
        let writer = Thread {
            var i = 0
            while process.isRunning {
                let token = tokens[i % tokens.count]
                i += 1
                let price = Int64(10_000 + i * 5)
                let record = Record(time: Timestamp.now(), event: .tick(Tick(token: token, price: price, decimals: 2,
                                                                             volume: UInt64(i), openInterest: 700 + UInt64(i))))
                appended.withLock { $0.append((token, price)) }
                _ = try? log.append([record])
                usleep(10_000)
            }
        }
        writer.start()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        return (process.terminationStatus, lines, stderr, appended.withLock { $0 })
    }

    @Test func officialKiteTickerSubscribesSwitchesModesAndDecodesOurTicks() throws {
        let fixture = try StreamingFixture()
        let (status, lines, errors, appended) = try Self.runClient(fixture, tokens: [101, 102], accessToken: fixture.userKey,
                                                                   arguments: ["--ticks-per-mode", "3"])
        try #require(status == 0, "kite_client.py failed (is kiteconnect installed? `make test` installs it): \(errors)")
        let modes = lines.compactMap { $0["mode"] as? String }
        #expect(Set(modes) == ["ltp", "quote", "full"])
        // A plain subscribe streams quote until the client's first `mode` message (ltp) lands;
        // from then on the modes follow the client's switches: ltp, then quote, then full.
        let rank = ["ltp": 0, "quote": 1, "full": 2]
        let switched = modes.drop { $0 != "ltp" }.map { rank[$0]! }
        #expect(switched == switched.sorted())
        let sent = Set(appended.map { "\($0.0):\($0.1)" })
        for line in lines {
            let token = try #require(line["instrument_token"] as? Int)
            #expect([101, 102].contains(token))
            let price = try #require(line["last_price"] as? Double)
            #expect(sent.contains("\(token):\(Int64((price * 100).rounded()))"), "price \(price) of \(token) was never appended")
            if line["mode"] as? String == "full" {
                let oi = try #require(line["oi"] as? Int)
                #expect(oi > 700)
                #expect(line["exchange_timestamp"] != nil)
            }
        }
    }

    @Test func aWrongAccessTokenIsRefused() throws {
        let fixture = try StreamingFixture()
        let (status, lines, _, _) = try Self.runClient(fixture, tokens: [101], accessToken: "not-a-key", arguments: ["--timeout", "5"])
        #expect(status == 1)
        #expect(lines.isEmpty)
    }
}
