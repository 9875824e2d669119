import Foundation

/// Issue #4's benchmark: the instruments list through the gateway against the same bytes served
/// as a static file by nginx, each under `wrk` for 10 s with 64 connections on loopback.
struct HTTPBench {
    let path = "/instruments/list?exchange=NSE&limit=50"
    let seconds = 10
    let connections = 64

    func run() throws -> [Figure] {
        for tool in ["/usr/bin/wrk", "/usr/sbin/nginx"] where !FileManager.default.fileExists(atPath: tool) {
            throw BenchError("\(tool) is missing: `make bench` installs wrk and nginx-light")
        }
        let root = NSTemporaryDirectory() + "tape-bench-http-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }

        // The gateway, on the demo data, as `make run` starts it.
        let tapePort = try freePort()
        let tape = try spawn([siblingExecutable("tape"), "serve", "--demo", "--data", root + "/data", "--port", "\(tapePort)"])
        defer { stop(tape, signal: SIGTERM) }
        note("starting tape serve --demo on port \(tapePort)")
        let body = try waitForBody(port: tapePort, path: path, timeout: 120)

        // nginx serving the same response bytes as a static file.
        let nginxPort = try freePort()
        try FileManager.default.createDirectory(atPath: root + "/www", withIntermediateDirectories: true)
        try body.write(to: URL(fileURLWithPath: root + "/www/list.json"))
        let conf = """
        worker_processes 2; daemon off; pid \(root)/nginx.pid; error_log \(root)/nginx-error.log;
        events { worker_connections 1024; }
        http { access_log off; default_type application/json; keepalive_requests 1000000;
               server { listen 127.0.0.1:\(nginxPort); root \(root)/www; location / { try_files /list.json =404; } } }
        """
        try conf.write(toFile: root + "/nginx.conf", atomically: true, encoding: .utf8)
        // SIGTERM, not SIGKILL: the master then stops its workers too.
        let nginx = try spawn(["/usr/sbin/nginx", "-c", root + "/nginx.conf", "-p", root])
        defer { stop(nginx, signal: SIGTERM) }
        guard try waitForBody(port: nginxPort, path: path, timeout: 10) == body else { throw BenchError("nginx serves different bytes") }

        note("wrk on the gateway (port \(tapePort))")
        let gateway = try wrk(port: tapePort)
        note("wrk on nginx (port \(nginxPort))")
        let peer = try wrk(port: nginxPort)
        printTable([
            ("GET \(path) (\(body.count) bytes)", "\(Int(gateway.rps)) req/s, p99 \(String(format: "%.2f", gateway.p99ms)) ms",
             "nginx static file", "\(Int(peer.rps)) req/s, p99 \(String(format: "%.2f", peer.p99ms)) ms", gateway.rps / peer.rps),
        ])
        print("""
        {"bench":"http","path":"\(path)","connections":\(connections),"seconds":\(seconds),\
        "gateway_rps":\(Int(gateway.rps)),"gateway_p99_ms":\(round3(gateway.p99ms)),"gateway_errors":\(gateway.errors),\
        "nginx_rps":\(Int(peer.rps)),"nginx_p99_ms":\(round3(peer.p99ms)),"gateway_vs_nginx":\(round3(gateway.rps / peer.rps))}
        """)
        return [
            Figure(suite: "http", name: "GET /instruments/list, wrk -c\(connections)", value: gateway.rps, peer: "nginx static file",
                   peerValue: peer.rps, target: .ratioAtLeast(0.3)),
            Figure(suite: "http", name: "GET /instruments/list p99", value: round3(gateway.p99ms), unit: .milliseconds,
                   peer: "nginx static file", peerValue: round3(peer.p99ms), target: .atMost(10)),
            Figure(suite: "http", name: "wrk errors (non-2xx, socket)", value: Double(gateway.errors), unit: .count, target: .atMost(0)),
        ]
    }

    func wrk(port: Int) throws -> Result {
        try Self.wrk(url: "http://127.0.0.1:\(port)\(path)", connections: connections, seconds: seconds)
    }

    struct Result { var rps: Double; var p99ms: Double; var errors: Int; var requests: Int }

    /// Runs wrk with `--latency` (and a Lua `script`, if given) and reads requests/s, the 99%
    /// latency, the request count and the error counts (non-2xx answers and socket errors).
    static func wrk(url: String, connections: Int, seconds: Int, script: String? = nil) throws -> Result {
        let output = try runCapturing(["/usr/bin/wrk", "-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "--timeout", "10s"]
                                      + (script.map { ["-s", $0] } ?? []) + [url]) ?? ""
        func number(after label: String) -> String? {
            guard let line = output.split(separator: "\n").first(where: { $0.contains(label) }) else { return nil }
            return line.split(separator: " ").last.map(String.init)
        }
        guard let rps = number(after: "Requests/sec:").flatMap(Double.init), let p99 = number(after: " 99%") else {
            throw BenchError("cannot read wrk output:\n\(output)")
        }
        var errors = 0
        if let line = output.split(separator: "\n").first(where: { $0.contains("Non-2xx") }) {
            errors += Int(line.split(separator: " ").last ?? "0") ?? 0
        }
        if let line = output.split(separator: "\n").first(where: { $0.contains("Socket errors") }) {
            errors += line.split(separator: ",").compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        }
        // "  123456 requests in 10.00s, 1.2GB read"
        let requests = output.split(separator: "\n").first { $0.contains(" requests in ") }
            .flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0
        guard requests > 0 else { throw BenchError("wrk completed no request:\n\(output)") }
        return Result(rps: rps, p99ms: milliseconds(p99), errors: errors, requests: requests)
    }

    /// wrk prints latencies as `812.00us`, `3.21ms` or `1.02s`.
    static func milliseconds(_ text: String) -> Double {
        if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? .nan) / 1000 }
        if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? .nan }
        if text.hasSuffix("s") { return (Double(text.dropLast(1)) ?? .nan) * 1000 }
        return .nan
    }
}

/// An executable built beside this one.
func siblingExecutable(_ name: String) -> String {
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    return me.deletingLastPathComponent().appendingPathComponent(name).path
}

/// A port nothing listens on right now (bound to 0, read back, released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw BenchError("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls until `GET path` answers 200, then returns the body.
func waitForBody(port: Int, path: String, timeout: Double) throws -> Data {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let file = NSTemporaryDirectory() + "tape-bench-body-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: file) }
        if try runCapturing(["/usr/bin/curl", "-s", "-f", "-o", file, "http://127.0.0.1:\(port)\(path)"], allowFailure: true) != nil,
           let body = FileManager.default.contents(atPath: file) {
            return body
        }
        usleep(250_000)
    }
    throw BenchError("nothing answered GET \(path) on port \(port) within \(Int(timeout)) s")
}

/// Progress on standard error, unbuffered, so a slow or stuck step is visible.
func note(_ text: String) {
    FileHandle.standardError.write(Data(("tape-bench: " + text + "\n").utf8))
}

/// Starts a program in the background, its standard output going to `outputPath` (discarded
/// by default) and its standard error discarded; `stop` or `waitpid` ends it.
func spawn(_ argv: [String], outputPath: String = "/dev/null") throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    // A clean signal mask: children must not inherit a mask that blocks SIGTERM.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    var pid: pid_t = 0
    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, environ)
    guard spawned == 0 else { throw BenchError("cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
    return pid
}

/// Signals a spawned program, waits up to 15 s, then kills it.
func stop(_ pid: pid_t, signal: Int32) {
    kill(pid, signal)
    var status: Int32 = 0
    for _ in 0..<150 {
        if waitpid(pid, &status, WNOHANG) == pid { return }
        usleep(100_000)
    }
    kill(pid, SIGKILL)
    waitpid(pid, &status, 0)
}

/// Runs a program to completion with posix_spawn and waitpid, its output captured in a file.
/// (Foundation's Process can miss a child's exit while other children come and go.)
/// Returns the output (empty when it went to `outputPath`), or nil when `allowFailure` and the exit status is not 0.
@discardableResult
func runCapturing(_ argv: [String], allowFailure: Bool = false, outputPath given: String? = nil) throws -> String? {
    let outputPath = given ?? NSTemporaryDirectory() + "tape-bench-out-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    defer { if given == nil { unlink(outputPath) } }
    let pid = try spawn(argv, outputPath: outputPath)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exited = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    if exited != 0 {
        if allowFailure { return nil }
        throw BenchError("\(argv.joined(separator: " ")) exited with status \(exited)")
    }
    return given != nil ? "" : (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
}
