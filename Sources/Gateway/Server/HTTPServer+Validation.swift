extension HTTPServer.Configuration {
    /// Every setting that cannot work, each naming the setting and what to change; empty when the configuration is usable.
    public var problems: [String] {
        var problems: [String] = []
        func require(_ condition: Bool, _ problem: @autoclosure () -> String) {
            if !condition { problems.append(problem()) }
        }
        require((0...65535).contains(port), "`port` is \(port); use 0...65535 (0 picks a free port).")
        require(!host.isEmpty, "`host` is empty; use an address such as 127.0.0.1 or 0.0.0.0.")
        require(loopCount >= 1, "`loopCount` is \(loopCount); use at least 1 (one per core is typical).")
        require(maxConnections >= 1, "`maxConnections` is \(maxConnections); use at least 1.")
        require(retryAfterSeconds >= 0, "`retryAfterSeconds` is \(retryAfterSeconds); use 0 or more.")
        require(limits.maxRequestLineBytes >= 16, "`limits.maxRequestLineBytes` is \(limits.maxRequestLineBytes); use at least 16.")
        require(limits.maxHeaderBytes >= 64, "`limits.maxHeaderBytes` is \(limits.maxHeaderBytes); use at least 64.")
        require(limits.maxHeaderCount >= 1, "`limits.maxHeaderCount` is \(limits.maxHeaderCount); use at least 1 (Host is required).")
        require(limits.maxBodyBytes >= 0, "`limits.maxBodyBytes` is \(limits.maxBodyBytes); use 0 or more.")
        require(outboundQueueBytes >= 1024, "`outboundQueueBytes` is \(outboundQueueBytes); use at least 1024.")
        require(webSocket.maxFrameBytes >= 125, "`webSocket.maxFrameBytes` is \(webSocket.maxFrameBytes); use at least 125 so control frames fit.")
        require(webSocket.maxMessageBytes >= 1, "`webSocket.maxMessageBytes` is \(webSocket.maxMessageBytes); use at least 1.")
        for (name, duration) in [("idleTimeout", idleTimeout), ("headerTimeout", headerTimeout), ("responseTimeout", responseTimeout),
                                 ("tickInterval", tickInterval), ("webSocket.idleTimeout", webSocket.idleTimeout),
                                 ("webSocket.closeTimeout", webSocket.closeTimeout)] {
            require(duration > .zero, "`\(name)` is \(duration); use a positive duration.")
        }
        if let interval = webSocket.pingInterval {
            require(interval > .zero, "`webSocket.pingInterval` is \(interval); use a positive duration or nil for no pings.")
        }
        require(shutdownGracePeriod >= .zero, "`shutdownGracePeriod` is \(shutdownGracePeriod); use zero or more.")
        return problems
    }
}
