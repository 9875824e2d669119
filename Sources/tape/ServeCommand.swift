import EventLog
import Foundation
import Gateway
import Services

/// `tape serve`: every service in one process until SIGTERM or SIGINT.
enum ServeCommand {
    static func run(_ args: inout Arguments) throws -> Int32 {
        // Block the stop signals before any thread starts, so every thread inherits the mask
        // and only `sigwait` below sees them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        var settings = TapeServer.Settings()
        settings.dataDirectory = args.dataDirectory()
        settings.host = args.string("host") ?? ProcessInfo.processInfo.environment["TAPE_HOST"] ?? settings.host
        if let port = try args.integer("port", range: 0...65_535) { settings.port = Int(port) }
        let demo = args.flag("demo")
        try args.rejectUnknown()

        let server = try TapeServer(settings: settings)
        if demo {
            for outcome in try server.importDemoInstrumentsIfEmpty() { printError("demo import: \(outcome)") }
        }
        do {
            try server.start()
        } catch GatewayError.addressInUse(let host, let port) {
            printError("tape: cannot listen on \(host):\(port): address already in use; pass --port (or set TAPE_PORT) to use another port")
            return 75
        }
        writeOut(Array("tape: serving \(server.catalog.snapshot.total(matching: .init())) instruments on http://\(settings.host):\(server.port ?? settings.port)\n".utf8))
        var received: Int32 = 0
        sigwait(&signals, &received)
        printError("tape: \(received == SIGINT ? "SIGINT" : "SIGTERM") received, stopping")
        server.stop()
        return 0
    }
}
