/// Where a setting's value came from, so a problem can say which one to fix.
public enum ConfigurationSource: Hashable, Sendable, CustomStringConvertible {
    /// A command-line flag, as written (`--port`).
    case flag(String)
    /// An environment variable (`TAPE_PORT`).
    case environment(String)
    /// A line of the config file.
    case file(path: String, line: Int)

    public var description: String {
        switch self {
        case .flag(let flag): flag
        case .environment(let name): name
        case .file(let path, let line): "config file \(path) line \(line)"
        }
    }
}
