/// One Tape setting, with the three names it goes by: a flag (`--admin-key`), an environment
/// variable (`TAPE_ADMIN_KEY`) and a config-file key (`admin_key`).
public enum ConfigurationSetting: String, CaseIterable, Hashable, Sendable {
    case data
    case host
    case port
    case threads
    case durability
    case auth
    case adminKey = "admin_key"
    case publicReads = "public_reads"
    case demo
    case feed
    case feedRate = "feed_rate"
    case feedInstruments = "feed_instruments"
    case feedStallSeconds = "feed_stall_seconds"
    case logLevel = "log_level"
    case segmentBytes = "segment_bytes"
    case stopAtDamage = "stop_at_damage"
    /// Where the config file is; set only by flag or environment, never inside the file.
    case config

    /// The config-file key, lowercase with underscores (`feed_rate`).
    public var fileKey: String { rawValue }
    /// The environment variable (`TAPE_FEED_RATE`).
    public var environmentName: String { "TAPE_" + rawValue.uppercased() }
    /// The command-line flag (`--feed-rate`).
    public var flag: String { "--" + String(rawValue.map { $0 == "_" ? "-" : $0 }) }
    /// Both names a user may have used, for messages: `--feed-rate / TAPE_FEED_RATE`.
    public var label: String { "\(flag) / \(environmentName)" }
    /// `--demo` and `--stop-at-damage` alone turn their mode on; every other flag needs a value.
    public var isSwitch: Bool { self == .demo || self == .stopAtDamage }

    /// The setting whose flag is `flag`, if any.
    public init?(flag: String) {
        guard let match = Self.allCases.first(where: { $0.flag == flag }) else { return nil }
        self = match
    }
}
