import Gateway

extension TapeServer.Settings {
    /// An in-process test server: data in `directory`, an ephemeral port on loopback, two event
    /// loops, no fsync (tests kill processes, not machines) and `adminKey` as the admin key.
    public static func forTests(directory: String, adminKey: String) -> Self {
        var settings = Self()
        settings.dataDirectory = directory
        settings.port = 0
        settings.loopCount = 2
        settings.durability = .never
        settings.adminKey = adminKey
        return settings
    }
}
