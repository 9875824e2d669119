import Foundation

/// Issue #4's benchmark: the instruments list through the gateway against the same bytes served
/// as a static file by nginx, each under `wrk` for 10 s with 64 connections on loopback.
struct HTTPBench {
    let path = "/instruments/list?exchange=NSE&limit=50"
    let seconds = 10
    let connections = 64

    func run() throws {
        for tool in ["/usr/bin/wrk", "/usr/sbin/nginx"] where !FileManager.default.fileExists(atPath: tool) {
            throw BenchError("\(tool) is missing: `make bench` installs wrk and nginx-light")
        }
        let root = NSTemporaryDirectory() + "tape-bench-http-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }

        // The gateway, on the demo data, as `make run` starts it.
        let tapePort = try freePort()
        let tape = Process()
        tape.executableURL = URL(fileURLWithPath: siblingExecutable("tape"))
        tape.arguments = ["serve", "--demo", "--data", root + "/data", "--port", "\(tapePort)"]
        tape.standardOutput = FileHandle.nullDevice
        tape.standardError = FileHandle.nullDevice
        try tape.run()
        defer { kill(tape.processIdentifier, SIGKILL); tape.waitUntilExit() }
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
        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        nginx.arguments = ["-c", root + "/nginx.conf", "-p", root]
        nginx.standardError = FileHandle.nullDevice
        try nginx.run()
        defer { kill(nginx.processIdentifier, SIGKILL); nginx.waitUntilExit() }
        guard try waitForBody(port: nginxPort, path: path, timeout: 10) == body else { throw BenchError("nginx serves different bytes") }

        let gateway = try wrk(port: tapePort)
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
    }

    struct Result { var rps: Double; var p99ms: Double; var errors: Int }

    /// Runs wrk with `--latency` and reads requests/s, the 99% latency and error counts.
    func wrk(port: Int) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "http://127.0.0.1:\(port)\(path)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
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
        return Result(rps: rps, p99ms: milliseconds(p99), errors: errors)
    }

    /// wrk prints latencies as `812.00us`, `3.21ms` or `1.02s`.
    func milliseconds(_ text: String) -> Double {
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-f", "http://127.0.0.1:\(port)\(path)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let body = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 0 { return body }
        usleep(250_000)
    }
    throw BenchError("nothing answered GET \(path) on port \(port) within \(Int(timeout)) s")
}
