import EventLog
import Foundation
import Gateway
import Services

/// `tape serve`: every service in one process until SIGTERM or SIGINT.
enum ServeCommand {
    /// Runs the server; `arguments` are the options after `serve`.
    static func run(_ arguments: [String]) throws -> Int32 {
        // Block the stop signals before any thread starts, so every thread inherits the mask
        // and only `sigwait` below sees them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        // A file-size limit (`ulimit -f`) must fail the write with EFBIG, which the log reports and
        // survives, rather than kill the whole server with SIGXFSZ's default action.
        signal(SIGXFSZ, SIG_IGN)

        var configuration: TapeConfiguration
        switch TapeConfiguration.load(arguments: arguments, environment: ProcessInfo.processInfo.environment) {
        case .failure(let error):
            printError("tape: invalid configuration\n\(error)")
            return error.exitStatus
        case .success(let loaded):
            configuration = loaded
        }
        var generatedAdminKey: String? = nil
        if configuration.needsGeneratedAdminKey {
            var rng = SystemRandomNumberGenerator()
            generatedAdminKey = "admin_" + (0..<24).map { _ in String(rng.next() % 36, radix: 36) }.joined()
            configuration.adminKey = generatedAdminKey
        }

        var settings = TapeServer.Settings()
        settings.dataDirectory = configuration.dataDirectory
        settings.host = configuration.host
        settings.port = configuration.port
        settings.loopCount = configuration.threads
        settings.durability = configuration.durability
        settings.segmentSize = configuration.segmentBytes
        settings.stopsAtDamage = configuration.stopsAtDamage
        settings.allowsPublicReads = configuration.allowsPublicReads || !configuration.isAuthEnabled
        settings.adminKey = configuration.adminKey
        settings.isAuthEnabled = configuration.isAuthEnabled
        let feedConfiguration = configuration
        settings.makeFeed = { log, catalog in FeedSupervisor.make(for: feedConfiguration, log: log, catalog: catalog) }

        let server: TapeServer
        do {
            server = try TapeServer(settings: settings)
        } catch let error as LogError {
            guard case .corrupt = error else { throw error }
            printError("""
                tape: refusing to serve a damaged log: \(error)
                  `tape verify --data \(configuration.dataDirectory)` lists every damaged place.
                  To serve the events before the damage, start again with --stop-at-damage (or TAPE_STOP_AT_DAMAGE=on):
                  the log is cut there and the bytes cut are moved to \(configuration.dataDirectory)/log/\(EventLog.damagedFolder)/, not deleted.
                """)
            return 65
        }
        if let kept = server.log.recovery.keptBytesPath, let detail = server.log.recovery.detail {
            printError("tape: stopped the log at its damage (--stop-at-damage): \(detail); \(server.log.recovery.truncatedBytes) bytes and the \(server.log.recovery.droppedEvents) events whose headers were readable cut and kept in \(kept); serving what precedes the damage")
        } else if !server.log.recovery.isClean, let detail = server.log.recovery.detail {
            printError("tape: recovered the log: \(detail); \(server.log.recovery.truncatedBytes) bytes and \(server.log.recovery.droppedEvents) unacknowledged events dropped")
        }
        var demoKey: String? = nil
        if configuration.isDemo {
            for outcome in try server.importDemoInstrumentsIfEmpty() { printError("demo import: \(outcome)") }
            demoKey = try server.issueDemoKey()
        }
        do {
            try server.start()
        } catch GatewayError.addressInUse(let host, let port) {
            printError("tape: \(PortInUse(host: host, port: port))")
            return PortInUse.exitStatus
        }
        var banner = "tape: serving \(server.catalog.snapshot.total(matching: .init())) instruments on http://\(settings.host):\(server.port ?? settings.port)\n"
        if let demoKey { banner += "tape: demo API key (shown once): \(demoKey)\n" }
        if let generatedAdminKey { banner += "tape: demo admin key (this run only): \(generatedAdminKey)\n" }
        writeOut(Array(banner.utf8))
        // Where commands run against this data directory (`tape rebuild`) find the running server.
        let address = addressFile(settings.dataDirectory)
        let reachableHost = ["0.0.0.0", ""].contains(settings.host) ? "127.0.0.1" : settings.host == "::" ? "[::1]" : settings.host
        let record = #"{"url":"http://\#(reachableHost):\#(server.port ?? settings.port)","pid":\#(getpid())}"# + "\n"
        _ = FileManager.default.createFile(atPath: address, contents: Data(record.utf8))

        var received: Int32 = 0
        sigwait(&signals, &received)
        printError("tape: \(received == SIGINT ? "SIGINT" : "SIGTERM") received, stopping")
        server.stop()
        unlink(address)
        return 0
    }

    /// `DIR/serve.json`: the URL and pid of the server running on `DIR`, while it runs.
    static func addressFile(_ data: String) -> String { data + "/serve.json" }
}
