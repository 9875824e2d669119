/// The listening socket's address is taken: names the address and the setting to change.
public struct PortInUse: Error, Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// sysexits.h EX_TEMPFAIL: the other process may go away, so a retry can succeed.
    public static let exitStatus: Int32 = 75
    /// EX_TEMPFAIL (75).
    public var exitStatus: Int32 { Self.exitStatus }

    public var description: String {
        // RFC 3986 §3.2.2: an IPv6 literal is bracketed before the port.
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return "cannot listen on \(address): address already in use; "
            + "set \(ConfigurationSetting.port.environmentName) or pass \(ConfigurationSetting.port.flag) to use another port"
    }
}
