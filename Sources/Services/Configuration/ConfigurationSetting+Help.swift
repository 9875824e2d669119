extension ConfigurationSetting {
    /// What the flag takes, for `tape serve --help` (empty for a switch).
    var placeholder: String {
        switch self {
        case .data: "DIR"
        case .host: "ADDRESS"
        case .port, .threads, .feedRate, .feedInstruments, .feedStallSeconds: "N"
        case .durability: "always|never|interval:MS"
        case .auth, .publicReads: "on|off"
        case .adminKey: "KEY"
        case .demo, .stopAtDamage: ""
        case .feed: "none|simulated"
        case .logLevel: "debug|info|warn|error"
        case .segmentBytes: "SIZE"
        case .config: "FILE"
        }
    }

    /// One line on what the setting does.
    var meaning: String {
        switch self {
        case .data: "data directory (log, projections, lock)"
        case .host: "address to listen on"
        case .port: "port; 0 picks a free one"
        case .threads: "event-loop threads"
        case .durability: "when an append is acknowledged: fdatasync'd, never synced, or synced every MS (1 to 60000)"
        case .auth: "require keys for writes (and for reads when public reads are off)"
        case .adminKey: "the bootstrap admin key; required when auth is on, except in demo mode"
        case .publicReads: "market-data reads without a key"
        case .demo: "import the demo data into an empty directory, start the simulated feed, print keys"
        case .feed: "live ticks: none, or a seeded random walk on each instrument's tick grid"
        case .feedRate: "simulated ticks per second"
        case .feedInstruments: "instruments the simulated feed ticks (the most liquid first)"
        case .feedStallSeconds: "no tick for this long marks the feed stalled in /health"
        case .logLevel: "what the server logs to standard error"
        case .segmentBytes: "log segment roll size, at least 1 MiB (K, M, G suffixes)"
        case .stopAtDamage: "serve a damaged log up to its first damage, moving the rest to DIR/log/damaged/"
        case .config: "the config file to read (a flag or environment setting only): lines of `key = value`, keys as in the first column"
        }
    }
}

extension TapeConfiguration {
    /// `tape serve --help`: every setting with its flag, environment variable, config-file key,
    /// default and meaning.
    public static func help(threads: Int) -> String {
        let defaults = TapeConfiguration(threads: threads)
        let rows = defaults.values.map { setting, value in
            let flag = setting.placeholder.isEmpty ? setting.flag : setting.flag + " " + setting.placeholder
            let shown = switch setting {
            case .threads: "one per core (\(value) here)"
            case .feed: "\(value); simulated in demo mode"
            case .segmentBytes where defaults.segmentBytes % (1 << 20) == 0: "\(defaults.segmentBytes >> 20)M"
            default: value
            }
            return (setting.fileKey, flag, setting.environmentName, shown, setting.meaning)
        }
        let keyWidth = rows.map(\.0.count).max() ?? 0
        let lines = rows.map { key, flag, environment, value, meaning in
            key.padding(toLength: keyWidth + 2, withPad: " ", startingAt: 0) + flag + ", " + environment + "\n"
                + String(repeating: " ", count: keyWidth + 4) + meaning + " [default: " + value + "]"
        }
        return """
            usage: tape serve [options]

            Runs every service and the HTTP/WebSocket gateway until SIGTERM or SIGINT. Flags win
            over environment variables, which win over the config file (--config FILE or
            TAPE_CONFIG: lines of `key = value`, # comments). The switches --demo and
            --stop-at-damage take no value (--demo=off turns it off); on|off values also take
            true|false, yes|no, 1|0.


            """ + lines.joined(separator: "\n") + "\n"
    }
}
