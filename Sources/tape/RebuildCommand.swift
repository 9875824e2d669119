import EventLog
import Foundation
import Projections
import Services

/// `tape rebuild`: projections rebuilt from offset 0, offline or on the running server.
///
/// With no server on the data directory it takes the writer lock and rebuilds in place, every
/// projection at once (`BulkRebuild`). When a
/// server holds the lock, it asks that server (`POST /admin/projections/{name}/rebuild`, found
/// through `DIR/serve.json` or `--server`) for a zero-downtime rebuild and follows its progress.
/// `--diff` builds aside and reports what differs from the live tables; it swaps nothing and
/// exits 1 when something differs.
enum RebuildCommand {
    static func run(_ args: inout Arguments) throws -> Int32 {
        let data = args.dataDirectory()
        let names = try args.string("projection").map { [try ProjectionSet.named($0).name] } ?? ProjectionSet.names
        let isDiff = args.flag("diff")
        let server = args.string("server")
        let key = args.string("admin-key") ?? ProcessInfo.processInfo.environment["TAPE_ADMIN_KEY"]
        try args.rejectUnknown()
        if let server { return try remote(names, isDiff: isDiff, client: ServerClient(baseURL: server, apiKey: key)) }
        try requireLog(data + "/log")

        let log: EventLog
        do {
            log = try EventLog(directory: data + "/log")
        } catch LogError.locked(_, let pid) {
            guard let url = runningServerURL(data) else {
                throw ServerClient.Failure(description: "a server\(pid.map { " (pid \($0))" } ?? "") holds \(data)/log, and \(ServeCommand.addressFile(data)) does not say where it listens (is it still starting?): pass --server http://HOST:PORT")
            }
            printError("tape: a server is running on \(data) at \(url): rebuilding through it, without downtime")
            return try remote(names, isDiff: isDiff, client: ServerClient(baseURL: url, apiKey: key))
        }
        defer { try? log.close() }
        guard isDiff else {
            try ProjectionSet.rebuild(names, data: data)
            return 0
        }
        let reader = try log.makeReader()
        var status: Int32 = 0
        for name in names {
            let runner = ProjectionRunner(projection: try ProjectionSet.named(name), log: reader,
                                          databasePath: ProjectionSet.databasePath(data))
            let rebuild = ProjectionRebuild(live: runner, fresh: try ProjectionSet.named(name), log: reader,
                                            livePath: ProjectionSet.databasePath(data),
                                            asidePath: ProjectionSet.rebuildPath(data, name: name), mode: .diff)
            var j = JSONText()
            j.beginObject(); rebuild.run().writeJSON(to: &j); j.endObject()
            let object = (try? JSONSerialization.jsonObject(with: Data(j.bytes))) as? [String: Any] ?? [:]
            status = max(status, report(object))
        }
        return status
    }

    /// The URL in `DIR/serve.json`, written by `tape serve` while it runs.
    static func runningServerURL(_ data: String) -> String? {
        guard let bytes = FileManager.default.contents(atPath: ServeCommand.addressFile(data)),
              let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else { return nil }
        return object["url"] as? String
    }

    /// Starts each rebuild on the server, one after another, following each to its end.
    private static func remote(_ names: [String], isDiff: Bool, client: ServerClient) throws -> Int32 {
        var status: Int32 = 0
        for name in names {
            let path = "/admin/projections/\(name)/rebuild"
            let started = try client.request("POST", path + (isDiff ? "?diff=true" : ""))
            guard started.status == 202 else {
                let message = (started.body["error"] as? [String: Any])?["message"] as? String ?? "HTTP \(started.status)"
                let hint = [401, 403].contains(started.status) ? " (rebuilding needs the admin key: pass --admin-key or set TAPE_ADMIN_KEY)" : ""
                throw ServerClient.Failure(description: "the server refused to rebuild \(name): \(message)\(hint)")
            }
            let isTerminal = isatty(2) != 0
            var lastLine = ContinuousClock.now
            while true {
                let (code, body) = try client.request("GET", path)
                guard code == 200, let phase = body["phase"] as? String else {
                    throw ServerClient.Failure(description: "reading the status of the \(name) rebuild failed: HTTP \(code)")
                }
                if phase == "done" || phase == "failed" {
                    if isTerminal { printError("") }
                    status = max(status, report(body))
                    break
                }
                let next = body["next_offset"] as? Int ?? 0, end = body["end_offset"] as? Int ?? 0
                if isTerminal {
                    printError("\r\(name): \(phase) \(next)/\(end)\u{1B}[K", newline: false)
                } else if (ContinuousClock.now - lastLine).seconds >= 2 {
                    printError("\(name): \(phase) \(next)/\(end)")
                    lastLine = ContinuousClock.now
                }
                // Progress is polled: the status is one small request, and this is an operator's command.
                usleep(200_000)
            }
        }
        return status
    }

    /// Prints a finished rebuild's outcome; 0 when it succeeded (and, for a diff, found nothing different).
    private static func report(_ body: [String: Any]) -> Int32 {
        let name = body["projection"] as? String ?? "?", version = body["version"] as? Int ?? 0
        guard body["phase"] as? String == "done" else {
            printError("\(name) v\(version): rebuild failed: \(body["error"] as? String ?? "unknown error")")
            return 2
        }
        let started = body["started_at"] as? Double ?? 0, finished = body["finished_at"] as? Double ?? started
        let events = body["next_offset"] as? Int ?? 0
        let seconds = max(finished - started, 1e-9)
        guard let diff = body["diff"] as? [String: Any] else {
            print("\(name) v\(version): rebuilt \(events) events in \(String(format: seconds)) s (\(Int(Double(events) / seconds)) events/s), hash \(body["hash"] as? String ?? "?"), swapped in")
            return 0
        }
        let isIdentical = diff["identical"] as? Bool ?? false
        print("\(name) v\(version): at offset \(diff["offset"] as? Int ?? 0) the rebuilt projection \(isIdentical ? "is identical to" : "DIFFERS from") the live one (live hash \(diff["live_hash"] as? String ?? "?"), rebuilt hash \(diff["rebuilt_hash"] as? String ?? "?"))")
        for table in diff["tables"] as? [[String: Any]] ?? [] {
            let onlyLive = table["only_in_live"] as? Int ?? 0, onlyRebuilt = table["only_in_rebuilt"] as? Int ?? 0
            print("  \(table["name"] as? String ?? "?"): \(table["live_rows"] as? Int ?? 0) rows live, \(table["rebuilt_rows"] as? Int ?? 0) rebuilt; \(onlyLive) only in live, \(onlyRebuilt) only in rebuilt")
            for row in table["samples_only_in_live"] as? [String] ?? [] { print("    live:    \(row)") }
            for row in table["samples_only_in_rebuilt"] as? [String] ?? [] { print("    rebuilt: \(row)") }
        }
        return isIdentical ? 0 : 1
    }
}
