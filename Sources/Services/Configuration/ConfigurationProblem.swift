/// One thing wrong with the configuration, phrased so the user can fix it without the docs:
/// which setting (flag and environment variable), the bad value, where it came from, and what to do.
public struct ConfigurationProblem: Hashable, Sendable, CustomStringConvertible {
    /// The setting concerned; nil for an unknown flag, key or argument that names none.
    public var setting: ConfigurationSetting?
    /// The offending value or name as the user wrote it, if there is one.
    public var value: String?
    /// The complete one-line message.
    public var message: String

    public init(setting: ConfigurationSetting?, value: String?, message: String) {
        self.setting = setting
        self.value = value
        self.message = message
    }

    public var description: String { message }

    /// A value that does not parse or is out of range.
    static func invalid(_ setting: ConfigurationSetting, _ value: String, from source: ConfigurationSource,
                        _ reason: String, fix: String) -> ConfigurationProblem {
        ConfigurationProblem(setting: setting, value: value,
                             message: "\(setting.label): \"\(value)\" (from \(source)) \(reason); \(fix)")
    }

    /// The hint appended to unknown names: the closest setting, or where the list is.
    static func hint(for name: String) -> String {
        if let guess = ConfigurationSetting.suggestion(for: name) {
            return "did you mean \(guess.flag) (\(guess.environmentName), file key \(guess.fileKey))?"
        }
        return "known settings: " + ConfigurationSetting.allCases.map(\.flag).joined(separator: ", ")
    }
}
