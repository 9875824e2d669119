import EventLog
import Foundation

/// The server's effective settings, from flags > environment (`TAPE_*`) > config file > defaults.
///
/// A value type built once at start-up by `parse(arguments:environment:fileContents:)` (pure)
/// or `load(arguments:environment:)` (reads the config file), then read from any thread.
public struct TapeConfiguration: Equatable, Sendable {
    /// The data directory (log, projections, lock).
    public var dataDirectory = "data"
    /// The address to listen on.
    public var host = "127.0.0.1"
    /// The port to listen on; 0 asks the OS for a free one.
    public var port = 8080
    /// Event-loop threads.
    public var threads: Int
    /// When an append counts as durable.
    public var durability: Durability = .always
    /// Whether requests need an API key.
    public var isAuthEnabled = true
    /// The bootstrap admin key; nil when unset (allowed only with auth off, or in demo mode).
    public var adminKey: String?
    /// Whether reads (catalog, quotes, candles) are allowed without a key when auth is on.
    public var allowsPublicReads = true
    /// Demo mode: a simulated feed and a generated admin key when none is set.
    public var isDemo = false
    /// The live tick source; `.none` unless demo mode or set.
    public var feed: FeedMode = .none
    /// Simulated ticks per second.
    public var feedRate = 1_000
    /// Instruments the simulated feed ticks.
    public var feedInstruments = 2_000
    /// Seconds without a tick after which the feed is reported stalled.
    public var feedStallSeconds = 10
    /// Log verbosity.
    public var logLevel: LogLevel = .info
    /// Log segments roll at this size.
    public var segmentBytes: Int64 = 64 << 20
    /// Whether a damaged log is cut at its first damage (the cut bytes kept in `log/damaged/`) instead of refused.
    public var stopsAtDamage = false
    /// The config file that was read, if any.
    public var configFile: String?

    /// Smallest allowed segment: smaller ones would mostly hold headers and roll constantly.
    public static let minimumSegmentBytes: Int64 = 1 << 20

    /// The defaults, with `threads` event-loop threads (one per core in production).
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.threads = max(1, threads)
    }

    /// Demo mode with auth on and no admin key: the caller generates one (and prints it) before serving.
    public var needsGeneratedAdminKey: Bool { isDemo && isAuthEnabled && adminKey == nil }

    /// The config file named by `--config` or `TAPE_CONFIG` (the flag wins), for the caller to read.
    public static func configFilePath(arguments: [String], environment: [String: String]) -> String? {
        var path: String?
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--config", index + 1 < arguments.count {
                path = arguments[index + 1]
                index += 1
            } else if argument.hasPrefix("--config=") {
                path = String(argument.dropFirst("--config=".count))
            }
            index += 1
        }
        if let path, !path.isEmpty { return path }
        if let fromEnvironment = environment[ConfigurationSetting.config.environmentName], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return nil
    }

    /// Reads the config file (if one is named) and parses; the only part that does I/O.
    public static func load(arguments: [String], environment: [String: String],
                            threads: Int = ProcessInfo.processInfo.activeProcessorCount)
        -> Result<TapeConfiguration, ConfigurationError> {
        guard let path = configFilePath(arguments: arguments, environment: environment) else {
            return parse(arguments: arguments, environment: environment, fileContents: nil, threads: threads)
        }
        do {
            let contents = try String(contentsOfFile: path, encoding: .utf8)
            return parse(arguments: arguments, environment: environment, fileContents: contents, threads: threads)
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            return parse(arguments: arguments, environment: environment, fileContents: nil,
                         threads: threads, fileReadFailure: reason)
        }
    }
}
