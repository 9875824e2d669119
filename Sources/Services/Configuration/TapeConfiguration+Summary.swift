extension TapeConfiguration {
    /// The effective settings, one `key = value` per line (file-key names), admin key redacted.
    public var summary: String {
        let rows = values
        let width = rows.map(\.0.fileKey.count).max() ?? 0
        return rows.map { setting, value in
            setting.fileKey + String(repeating: " ", count: width - setting.fileKey.count) + " = " + value
        }.joined(separator: "\n")
    }

    /// Each setting's value as `summary` and `tape serve --help` show it, in `ConfigurationSetting` order.
    var values: [(ConfigurationSetting, String)] {
        let adminKeyText = adminKey != nil ? "***" : needsGeneratedAdminKey ? "(generated at start)" : "(not set)"
        return [
            (.data, dataDirectory),
            (.host, host),
            (.port, port == 0 ? "0 (any free port)" : String(port)),
            (.threads, String(threads)),
            (.durability, durability.description),
            (.auth, isAuthEnabled ? "on" : "off"),
            (.adminKey, adminKeyText),
            (.publicReads, allowsPublicReads ? "on" : "off"),
            (.demo, isDemo ? "on" : "off"),
            (.feed, feed.rawValue),
            (.feedRate, String(feedRate)),
            (.feedInstruments, String(feedInstruments)),
            (.feedStallSeconds, String(feedStallSeconds)),
            (.logLevel, logLevel.rawValue),
            (.segmentBytes, String(segmentBytes)),
            (.stopAtDamage, stopsAtDamage ? "on" : "off"),
            (.config, configFile ?? "(none)"),
        ]
    }
}
