import EventLog
import Foundation
import Testing

/// `tape serve` as a user runs it: a real process, a temp data directory, real sockets.
@Suite(.serialized) struct ServeCommandTests {
    /// The built `tape` executable, beside the test bundle.
    static var tape: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("tape").path
    }

    /// A running `tape serve` and what it printed.
    final class Server {
        let process = Process()
        let output = Pipe()
        let errors = Pipe()
        var banner = ""

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            process.executableURL = URL(fileURLWithPath: ServeCommandTests.tape)
            process.arguments = ["serve"] + arguments
            process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TAPE_") }.merging(environment) { $1 }
            process.standardOutput = output
            process.standardError = errors
            try process.run()
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        }

        /// Reads standard output until the banner's URL line (or end of output) and returns the port.
        func port() throws -> Int {
            while !banner.contains("\n") || !banner.contains("http://") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                banner += String(decoding: chunk, as: UTF8.self)
            }
            // Let the key lines after the URL arrive too.
            if banner.contains("demo") == false, process.isRunning { usleep(100_000) }
            guard let range = banner.range(of: "http://127.0.0.1:") else {
                throw ServeError(message: "no URL in output: \(banner)")
            }
            return Int(banner[range.upperBound...].prefix { $0.isNumber })!
        }

        func line(containing text: String) -> String? {
            banner.split(separator: "\n").first { $0.contains(text) }.map(String.init)
        }

        func stop(_ signal: Int32) -> Int32 {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            return process.terminationStatus
        }

        var standardError: String { String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
    }

    struct ServeError: Error { var message: String }

    /// One request on a fresh connection; the body parsed as a JSON object (empty if it is not one).
    func request(_ port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: String = "") throws -> (status: Int, body: [String: Any]) {
        let client = try TestClient(port: port, receiveTimeoutSeconds: 30)
        let fields = headers.map { "\($0.key): \($0.value)\r\n" }.joined()
        let content = body.isEmpty ? "" : "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        try client.send("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\(fields)\(content)\r\n\(body)")
        let response = try client.readResponse()
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, json)
    }

    func get(_ port: Int, _ path: String, headers: [String: String] = [:]) throws -> (status: Int, body: [String: Any]) {
        try request(port, "GET", path, headers: headers)
    }

    func send(_ port: Int, _ method: String, _ path: String, key: String?, body: String = "") throws -> (status: Int, body: [String: Any]) {
        try request(port, method, path, headers: key.map { ["Authorization": "Bearer \($0)"] } ?? [:], body: body)
    }

    @Test func usersAndKeysAreEventsAndAdminRoutesAnswer401Or403() throws {
        let data = NSTemporaryDirectory() + "tape-serve-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let admin = "admin-secret-for-tests"
        let server = try Server(["--data", data, "--port", "0", "--admin-key", admin, "--public-reads", "off"])
        let port = try server.port()

        #expect(try send(port, "POST", "/users", key: nil, body: #"{"name":"ana"}"#).status == 401)
        let created = try send(port, "POST", "/users", key: admin, body: #"{"name":"ana"}"#)
        #expect(created.status == 201)
        let userID = try #require(created.body["id"] as? Int)
        #expect(try send(port, "POST", "/users", key: admin, body: "not json").status == 400)

        let issued = try send(port, "POST", "/users/\(userID)/keys", key: admin, body: #"{"label":"laptop"}"#)
        #expect(issued.status == 201)
        let key = try #require(issued.body["key"] as? String)
        let keyID = try #require(issued.body["key_id"] as? Int)
        #expect(try send(port, "POST", "/users/999/keys", key: admin).status == 404)

        // The user's own key works for reads; it is not an admin key.
        #expect(try send(port, "GET", "/instruments/stats", key: key).status == 200)
        #expect(try send(port, "POST", "/users", key: key, body: #"{"name":"eve"}"#).status == 403)
        #expect(try send(port, "GET", "/log/stats", key: key).status == 403)
        let stats = try send(port, "GET", "/log/stats", key: admin)
        #expect(stats.status == 200)
        #expect(stats.body["events"] as? Int == 2)

        // Revoked, the key stops working at once: commands answer after the projection folded them.
        #expect(try send(port, "DELETE", "/keys/\(keyID)", key: key).status == 200)
        #expect(try send(port, "GET", "/instruments/stats", key: key).status == 401)
        #expect(server.stop(SIGTERM) == 0)

        // The plaintext key was shown once and is nowhere on disk.
        for file in try FileManager.default.subpathsOfDirectory(atPath: data) {
            let bytes = FileManager.default.contents(atPath: data + "/" + file) ?? Data()
            #expect(bytes.range(of: Data(key.utf8)) == nil, "\(file) holds the key")
        }
    }

    @Test func adminsChangeTheCatalogThroughTheAPIAndEveryAnswerCarriesItsOffsets() throws {
        let data = NSTemporaryDirectory() + "tape-serve-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let admin = "admin-secret-for-tests"
        let server = try Server(["--data", data, "--port", "0", "--admin-key", admin])
        let port = try server.port()

        let infy = #"{"instrument_token":408065,"exchange_token":1594,"tradingsymbol":"INFY","name":"INFOSYS","tick_size":0.05,"lot_size":1,"instrument_type":"EQ","segment":"NSE","exchange":"NSE"}"#
        #expect(try send(port, "POST", "/instruments", key: nil, body: infy).status == 401)
        let listed = try send(port, "POST", "/instruments", key: admin, body: infy)
        #expect(listed.status == 201)
        #expect(listed.body["first_offset"] as? Int == 0)
        #expect(try send(port, "POST", "/instruments", key: admin, body: infy).status == 409)
        #expect(try send(port, "POST", "/instruments", key: admin, body: #"{"tradingsymbol":"X"}"#).status == 400)
        // A tick size or strike of a billion or more is refused (1e300 once crashed the server on `/udf/symbols`).
        let huge = try send(port, "POST", "/instruments", key: admin,
                            body: #"{"instrument_token":7,"tradingsymbol":"X","exchange":"NSE","tick_size":1e300}"#)
        #expect(huge.status == 400)
        #expect((huge.body["error"] as? [String: Any])?["message"] as? String == "tick_size must be a number from 0 to below 1000000000")
        #expect(try send(port, "PATCH", "/instruments/408065", key: admin, body: #"{"strike":-1}"#).status == 400)

        let patched = try send(port, "PATCH", "/instruments/408065", key: admin, body: #"{"name":"INFOSYS LTD","lot_size":5}"#)
        #expect(patched.status == 200)
        let after = try get(port, "/instruments/408065")
        #expect(after.body["name"] as? String == "INFOSYS LTD")
        #expect(after.body["lot_size"] as? Int == 5)
        #expect(try send(port, "PATCH", "/instruments/1", key: admin, body: "{}").status == 404)

        #expect(try send(port, "DELETE", "/instruments/408065", key: admin).status == 200)
        #expect(try get(port, "/instruments/list").body["total"] as? Int == 0)

        let csv = """
        instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
        408065,1594,INFY,"INFOSYS",0,,0,0.05,1,EQ,NSE,NSE
        nope,1,BAD,"BAD",0,,0,0.05,1,EQ,NSE,NSE
        884737,3456,TATAMOTORS,"TATA MOTORS",0,,0,0.05,1,EQ,NSE,NSE
        5,5,HUGE,"HUGE",0,,0,1e300,1,EQ,NSE,NSE

        """
        let imported = try send(port, "POST", "/instruments/import", key: admin, body: csv)
        #expect(imported.status == 200)
        #expect(imported.body["listed"] as? Int == 2)
        let rejected = imported.body["rejected"] as? [[String: Any]] ?? []
        #expect(rejected.map { $0["line"] as? Int } == [3, 5])
        #expect(rejected.last?["error"] as? String == "line 5: tick_size 1e300 is too large: it must be below 1000000000")
        #expect(try get(port, "/instruments/list").body["total"] as? Int == 2)
        #expect(try send(port, "POST", "/instruments/import", key: admin, body: csv).body["unchanged"] as? Int == 2)
        #expect(server.stop(SIGTERM) == 0)
    }

    @Test func invalidConfigurationListsEveryProblemAndExits78() throws {
        let server = try Server(["--port", "70000", "--durability", "sometimes"], environment: ["TAPE_AUTH": "on"])
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 78)
        let text = server.standardError
        #expect(text.contains("--port / TAPE_PORT"))
        #expect(text.contains("--durability"))
        #expect(text.contains("auth is enabled but no admin key is set: set TAPE_ADMIN_KEY or pass --admin-key, or disable auth with TAPE_AUTH=off"))
        #expect(!text.contains("Fatal error"))
    }

    @Test func theDemoServesTheFullCatalogWithKeysAndStopsCleanlyOnSIGTERM() throws {
        let data = NSTemporaryDirectory() + "tape-serve-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try Server(["--demo", "--data", data, "--port", "0"], environment: ["TAPE_PUBLIC_READS": "off"])
        let port = try server.port()

        // Reads need a key here (TAPE_PUBLIC_READS=off): none → 401, a wrong one → 401, the demo key → 200.
        #expect(try get(port, "/instruments/list?limit=5").status == 401)
        #expect(try get(port, "/instruments/list?limit=5", headers: ["X-API-Key": "tape_1_wrong"]).status == 401)
        let keyLine = try #require(server.line(containing: "demo API key"))
        let key = String(keyLine.split(separator: " ").last!)
        let list = try get(port, "/instruments/list?limit=5", headers: ["Authorization": "Bearer \(key)"])
        #expect(list.status == 200)
        #expect(list.body["total"] as? Int == 96_390)
        #expect((list.body["items"] as? [Any])?.count == 5)

        let health = try get(port, "/health")
        #expect(health.status == 200)
        #expect(health.body["status"] as? String == "ok")

        // The same port again, from another data directory: exit 75 naming the port and the setting.
        let second = try Server(["--data", data + "-2", "--port", "\(port)"], environment: ["TAPE_AUTH": "off"])
        second.process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: data + "-2") }
        #expect(second.process.terminationStatus == 75)
        let complaint = second.standardError
        #expect(complaint.contains("127.0.0.1:\(port)"))
        #expect(complaint.contains("TAPE_PORT"))

        #expect(server.stop(SIGTERM) == 0)
        // A clean stop leaves a log that verifies, with the demo's events all there.
        let reader = try LogReader(directory: data + "/log")
        #expect(try reader.endOffset() > 108_000)
        #expect(try LogInspector.verify(directory: data + "/log").isClean)
    }
}
