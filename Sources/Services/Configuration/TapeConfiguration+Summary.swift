extension TapeConfiguration {
    /// The effective settings, one `key = value` per line (file-key names), admin key redacted.
    public var summary: String {
        let adminKeyText = adminKey != nil ? "***" : needsGeneratedAdminKey ? "(generated at start)" : "(not set)"
        let rows: [(ConfigurationSetting, String)] = [
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
        let width = rows.map(\.0.fileKey.count).max() ?? 0
        return rows.map { setting, value in
            setting.fileKey + String(repeating: " ", count: width - setting.fileKey.count) + " = " + value
        }.joined(separator: "\n")
    }
}
