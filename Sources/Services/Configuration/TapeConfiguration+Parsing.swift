import EventLog
import Foundation

extension TapeConfiguration {
    /// Parses settings without I/O: `arguments` are the options after the subcommand
    /// (`--port 9000`, `--port=9000`, `--demo`), `environment` the process environment
    /// (only `TAPE_*` is read; an empty variable counts as unset), `fileContents` the config
    /// file named by `--config`/`TAPE_CONFIG` (nil when none, or when it could not be read —
    /// then `fileReadFailure` says why).
    ///
    /// Every problem is collected before returning, so one run shows everything to fix.
    public static func parse(arguments: [String], environment: [String: String], fileContents: String?,
                             threads: Int = ProcessInfo.processInfo.activeProcessorCount, fileReadFailure: String? = nil)
        -> Result<TapeConfiguration, ConfigurationError> {
        var parser = ConfigurationParser()
        parser.readFlags(arguments)
        parser.readEnvironment(environment)
        let path = configFilePath(arguments: arguments, environment: environment)
        if let path {
            if let fileContents {
                parser.readFile(fileContents, path: path)
            } else {
                let source = parser.values[.config]?.source ?? .environment(ConfigurationSetting.config.environmentName)
                parser.problems.append(.invalid(
                    .config, path, from: source,
                    "cannot be read: \(fileReadFailure ?? "no such file or not readable")",
                    fix: "point --config or TAPE_CONFIG at a readable file, or unset it"))
            }
        }
        return parser.build(defaultThreads: threads, configFile: path)
    }
}

/// The working state of one `parse`: raw values by setting (highest precedence kept) and problems.
struct ConfigurationParser {
    struct RawValue {
        var text: String
        var source: ConfigurationSource
    }

    var values: [ConfigurationSetting: RawValue] = [:]
    var problems: [ConfigurationProblem] = []

    /// Flags come first and have the highest precedence; a later repeat of a flag wins.
    mutating func readFlags(_ arguments: [String]) {
        var index = 0
        while index < arguments.count {
            defer { index += 1 }
            let argument = arguments[index]
            guard argument.hasPrefix("--"), argument.count > 2 else {
                problems.append(ConfigurationProblem(
                    setting: nil, value: argument,
                    message: "unexpected argument \"\(argument)\"; settings are passed as --name value or --name=value"))
                continue
            }
            let name: String
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            } else {
                name = argument
            }
            guard let setting = ConfigurationSetting(flag: name) else {
                problems.append(ConfigurationProblem(
                    setting: nil, value: name, message: "unknown flag \"\(name)\"; " + ConfigurationProblem.hint(for: name)))
                // Its value, if it has one, is not a second problem.
                if inlineValue == nil, index + 1 < arguments.count, !arguments[index + 1].hasPrefix("--") { index += 1 }
                continue
            }
            if setting.isSwitch {
                values[setting] = RawValue(text: inlineValue ?? "on", source: .flag(name))
                continue
            }
            if let inlineValue {
                values[setting] = RawValue(text: inlineValue, source: .flag(name))
            } else if index + 1 < arguments.count, !arguments[index + 1].hasPrefix("--") {
                index += 1
                values[setting] = RawValue(text: arguments[index], source: .flag(name))
            } else {
                problems.append(ConfigurationProblem(
                    setting: setting, value: nil,
                    message: "\(setting.label): \(name) needs a value; pass \(name) <value> or \(name)=<value>"))
            }
        }
    }

    /// Environment fills what flags left unset.
    mutating func readEnvironment(_ environment: [String: String]) {
        for setting in ConfigurationSetting.allCases where values[setting] == nil {
            if let text = environment[setting.environmentName], !text.isEmpty {
                values[setting] = RawValue(text: text, source: .environment(setting.environmentName))
            }
        }
    }

    /// The file fills what flags and environment left unset; unknown keys are problems even then.
    mutating func readFile(_ contents: String, path: String) {
        var seen: [ConfigurationSetting: Int] = [:]
        for (offset, rawLine) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            let line = Self.strippingComment(rawLine).trimmingWhitespace()
            guard !line.isEmpty else { continue }
            let whereItIs = "config file \(path) line \(lineNumber)"
            guard let equals = line.firstIndex(of: "=") else {
                problems.append(ConfigurationProblem(
                    setting: nil, value: line,
                    message: "\(whereItIs): \"\(line)\" is not a \"key = value\" line; write e.g. port = 8080, or start the line with # for a comment"))
                continue
            }
            let key = line[..<equals].trimmingWhitespace()
            var value = line[line.index(after: equals)...].trimmingWhitespace()
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
            guard let setting = ConfigurationSetting(rawValue: key) else {
                problems.append(ConfigurationProblem(
                    setting: nil, value: key,
                    message: "\(whereItIs): unknown key \"\(key)\"; " + ConfigurationProblem.hint(for: key)))
                continue
            }
            if setting == .config {
                problems.append(ConfigurationProblem(
                    setting: .config, value: value,
                    message: "\(whereItIs): \"config\" cannot be set inside a config file; pass --config or set TAPE_CONFIG instead"))
                continue
            }
            if let first = seen[setting] {
                problems.append(ConfigurationProblem(
                    setting: setting, value: value,
                    message: "\(whereItIs): \"\(key)\" (\(setting.label)) is already set on line \(first); keep one of them"))
                continue
            }
            seen[setting] = lineNumber
            if values[setting] == nil {
                values[setting] = RawValue(text: value, source: .file(path: path, line: lineNumber))
            }
        }
    }

    /// `#` starts a comment at the start of a line or after whitespace, so a `#` inside a value survives.
    private static func strippingComment(_ line: Substring) -> Substring {
        var previous: Character = " "
        for index in line.indices {
            if line[index] == "#", previous == " " || previous == "\t" { return line[..<index] }
            previous = line[index]
        }
        return line
    }

    /// Converts the winning raw values and applies the cross-setting rules.
    mutating func build(defaultThreads: Int, configFile: String?) -> Result<TapeConfiguration, ConfigurationError> {
        var configuration = TapeConfiguration(threads: defaultThreads)
        configuration.configFile = configFile
        for setting in ConfigurationSetting.allCases {
            guard let raw = values[setting] else { continue }
            convert(raw, for: setting, into: &configuration)
        }
        if values[.feed] == nil, configuration.isDemo { configuration.feed = .simulated }
        // The rule that stops a server from starting wide open (or locked to everyone) by accident.
        if configuration.isAuthEnabled, configuration.adminKey == nil, !configuration.isDemo {
            problems.append(ConfigurationProblem(
                setting: .adminKey, value: nil,
                message: "auth is enabled but no admin key is set: set TAPE_ADMIN_KEY or pass --admin-key, or disable auth with TAPE_AUTH=off"))
        }
        return problems.isEmpty ? .success(configuration) : .failure(ConfigurationError(problems: problems))
    }

    private mutating func convert(_ raw: RawValue, for setting: ConfigurationSetting,
                                  into configuration: inout TapeConfiguration) {
        let text = raw.text.trimmingWhitespace()
        func fail(_ reason: String, _ fix: String) {
            problems.append(.invalid(setting, raw.text, from: raw.source, reason, fix: fix))
        }
        func integer(in range: ClosedRange<Int>, _ what: String, _ fix: String) -> Int? {
            guard let value = Int(text), range.contains(value) else {
                fail(Int(text) == nil ? "is not a whole number" : "is out of range for \(what)", fix)
                return nil
            }
            return value
        }
        func switchValue() -> Bool? {
            switch text.lowercased() {
            case "on", "true", "yes", "1": return true
            case "off", "false", "no", "0": return false
            default:
                fail("is not on or off", "use on or off")
                return nil
            }
        }
        switch setting {
        case .data:
            if text.isEmpty { fail("is empty", "name a directory, e.g. data") } else { configuration.dataDirectory = text }
        case .host:
            if text.isEmpty || text.contains(where: \.isWhitespace) {
                fail("is not a host", "use an address such as 127.0.0.1, 0.0.0.0 or ::1")
            } else {
                configuration.host = text
            }
        case .port:
            if let port = integer(in: 0...65_535, "a port", "use a number from 0 to 65535 (0 picks a free port)") {
                configuration.port = port
            }
        case .threads:
            if let threads = integer(in: 1...1_024, "event-loop threads", "use a whole number from 1 to 1024, e.g. the number of cores") {
                configuration.threads = threads
            }
        case .durability:
            if let durability = Durability(parsing: text) {
                configuration.durability = durability
            } else {
                fail("is not a durability", "use always, never or interval:<ms> with 1 to 60000 ms, e.g. interval:100")
            }
        case .auth:
            if let on = switchValue() { configuration.isAuthEnabled = on }
        case .adminKey:
            // Empty counts as unset, which the auth rule then reports by name.
            configuration.adminKey = text.isEmpty ? nil : text
        case .publicReads:
            if let on = switchValue() { configuration.allowsPublicReads = on }
        case .demo:
            if let on = switchValue() { configuration.isDemo = on }
        case .feed:
            if let feed = FeedMode(rawValue: text.lowercased()) {
                configuration.feed = feed
            } else {
                fail("is not a feed", "use simulated or none")
            }
        case .feedRate:
            if let rate = integer(in: 1...10_000_000, "ticks per second", "use ticks per second from 1 to 10000000") {
                configuration.feedRate = rate
            }
        case .feedInstruments:
            if let count = integer(in: 1...1_000_000, "instruments", "use a number of instruments from 1 to 1000000") {
                configuration.feedInstruments = count
            }
        case .feedStallSeconds:
            if let seconds = integer(in: 1...86_400, "seconds", "use whole seconds from 1 to 86400") {
                configuration.feedStallSeconds = seconds
            }
        case .logLevel:
            if let level = LogLevel(rawValue: text.lowercased()) {
                configuration.logLevel = level
            } else {
                fail("is not a log level", "use debug, info, warn or error")
            }
        case .segmentBytes:
            let fix = "use bytes of at least 1 MiB, e.g. 67108864 or 64MiB"
            if let bytes = Self.byteCount(text) {
                if bytes >= TapeConfiguration.minimumSegmentBytes { configuration.segmentBytes = bytes } else { fail("is below 1 MiB", fix) }
            } else {
                fail("is not a size", fix)
            }
        case .stopAtDamage:
            if let on = switchValue() { configuration.stopsAtDamage = on }
        case .config:
            return // already used to find the file
        }
    }

    /// A byte count: digits with an optional binary suffix (`K`/`KiB`, `M`/`MiB`, `G`/`GiB`).
    static func byteCount(_ text: String) -> Int64? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let suffix = text.dropFirst(digits.count).trimmingWhitespace().lowercased()
        guard let number = Int64(digits) else { return nil }
        let shift: Int64
        switch suffix {
        case "", "b": shift = 0
        case "k", "kib": shift = 10
        case "m", "mib": shift = 20
        case "g", "gib": shift = 30
        default: return nil
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : bytes
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
