import EventLog
import Foundation
import Testing
@testable import Services

private let adminKey = ["TAPE_ADMIN_KEY": "s3cret-admin"]

/// Parses, expecting success.
private func configuration(_ arguments: [String] = [], environment: [String: String] = adminKey,
                           file: String? = nil, threads: Int = 4) throws -> TapeConfiguration {
    try parse(arguments, environment: environment, file: file, threads: threads).get()
}

/// Parses, expecting failure, and returns the problems.
private func problems(_ arguments: [String] = [], environment: [String: String] = adminKey,
                      file: String? = nil, fileReadFailure: String? = nil) throws -> [ConfigurationProblem] {
    let result = parse(arguments, environment: environment, file: file, threads: 4, fileReadFailure: fileReadFailure)
    guard case .failure(let error) = result else {
        Issue.record("expected a configuration error, got \(result)")
        return []
    }
    return error.problems
}

/// Names a config file in TAPE_CONFIG when a test passes file contents without naming one.
private func parse(_ arguments: [String], environment: [String: String], file: String?, threads: Int,
                   fileReadFailure: String? = nil) -> Result<TapeConfiguration, ConfigurationError> {
    var environment = environment
    if file != nil, environment["TAPE_CONFIG"] == nil, !arguments.contains(where: { $0.hasPrefix("--config") }) {
        environment["TAPE_CONFIG"] = "tape.conf"
    }
    return TapeConfiguration.parse(arguments: arguments, environment: environment, fileContents: file,
                                   threads: threads, fileReadFailure: fileReadFailure)
}

@Suite struct ConfigurationTests {
    // MARK: defaults and precedence

    @Test func defaultsApplyWhenNothingIsSet() throws {
        let config = try configuration(threads: 6)
        #expect(config.dataDirectory == "data")
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.threads == 6)
        #expect(config.durability == .always)
        #expect(config.isAuthEnabled)
        #expect(config.adminKey == "s3cret-admin")
        #expect(config.allowsPublicReads)
        #expect(!config.isDemo)
        #expect(config.feed == FeedMode.none)
        #expect(config.feedRate == 1_000)
        #expect(config.feedInstruments == 2_000)
        #expect(config.feedStallSeconds == 10)
        #expect(config.logLevel == .info)
        #expect(config.segmentBytes == 64 << 20)
        #expect(config.configFile == nil)
    }

    @Test func flagsBeatEnvironmentWhichBeatsFileWhichBeatsDefaults() throws {
        let file = """
            # tape.conf
            port = 7000
            host = 0.0.0.0
            log_level = warn
            data = /var/file-data
            """
        let environment = adminKey.merging(["TAPE_PORT": "7100", "TAPE_HOST": "10.0.0.1"]) { $1 }
        let config = try configuration(["--port", "7200"], environment: environment, file: file)
        #expect(config.port == 7200)            // flag over env and file
        #expect(config.host == "10.0.0.1")      // env over file
        #expect(config.logLevel == .warn)       // file over default
        #expect(config.dataDirectory == "/var/file-data")
        #expect(config.durability == .always)   // default
        #expect(config.configFile == "tape.conf")
    }

    @Test func everySettingReadsFromFlagsInBothSpellings() throws {
        let config = try configuration([
            "--data", "/tmp/d", "--host=::1", "--port", "0", "--threads=3", "--durability", "interval:250",
            "--auth", "off", "--public-reads=off", "--demo", "--feed", "none", "--feed-rate", "50",
            "--feed-instruments=10", "--feed-stall-seconds", "30", "--log-level", "debug", "--segment-bytes", "2MiB",
            "--admin-key", "k",
        ], environment: [:])
        #expect(config.dataDirectory == "/tmp/d")
        #expect(config.host == "::1")
        #expect(config.port == 0)
        #expect(config.threads == 3)
        #expect(config.durability == .interval(milliseconds: 250))
        #expect(!config.isAuthEnabled)
        #expect(!config.allowsPublicReads)
        #expect(config.isDemo)
        #expect(config.feed == FeedMode.none)   // explicit none wins over the demo default
        #expect(config.feedRate == 50)
        #expect(config.feedInstruments == 10)
        #expect(config.feedStallSeconds == 30)
        #expect(config.logLevel == .debug)
        #expect(config.segmentBytes == 2 << 20)
        #expect(config.adminKey == "k")
    }

    @Test func everySettingReadsFromTheEnvironment() throws {
        let config = try configuration(environment: [
            "TAPE_DATA": "/srv/tape", "TAPE_HOST": "0.0.0.0", "TAPE_PORT": "9000", "TAPE_THREADS": "2",
            "TAPE_DURABILITY": "never", "TAPE_AUTH": "on", "TAPE_ADMIN_KEY": "env-key", "TAPE_PUBLIC_READS": "off",
            "TAPE_DEMO": "on", "TAPE_FEED": "simulated", "TAPE_FEED_RATE": "5", "TAPE_FEED_INSTRUMENTS": "7",
            "TAPE_FEED_STALL_SECONDS": "3", "TAPE_LOG_LEVEL": "error", "TAPE_SEGMENT_BYTES": "1048576",
        ])
        #expect(config.dataDirectory == "/srv/tape")
        #expect(config.port == 9000)
        #expect(config.threads == 2)
        #expect(config.durability == .never)
        #expect(config.adminKey == "env-key")
        #expect(!config.allowsPublicReads)
        #expect(config.isDemo)
        #expect(config.feed == .simulated)
        #expect(config.feedRate == 5)
        #expect(config.feedInstruments == 7)
        #expect(config.feedStallSeconds == 3)
        #expect(config.logLevel == .error)
        #expect(config.segmentBytes == 1 << 20)
    }

    @Test func configFileAcceptsCommentsBlankLinesQuotesAndInlineComments() throws {
        let file = """

            # a comment
              port = 9100   # inline comment
            admin_key = "key#with-hash"
            durability=interval:5
            """
        let config = try configuration(environment: [:], file: file)
        #expect(config.port == 9100)
        #expect(config.adminKey == "key#with-hash")
        #expect(config.durability == .interval(milliseconds: 5))
    }

    @Test func configFlagBeatsTapeConfigForFindingTheFile() {
        #expect(TapeConfiguration.configFilePath(arguments: ["--config", "a.conf"], environment: ["TAPE_CONFIG": "b.conf"]) == "a.conf")
        #expect(TapeConfiguration.configFilePath(arguments: ["--config=c.conf"], environment: [:]) == "c.conf")
        #expect(TapeConfiguration.configFilePath(arguments: [], environment: ["TAPE_CONFIG": "b.conf"]) == "b.conf")
        #expect(TapeConfiguration.configFilePath(arguments: [], environment: [:]) == nil)
    }

    @Test func emptyEnvironmentVariablesCountAsUnset() throws {
        let config = try configuration(environment: ["TAPE_PORT": "", "TAPE_ADMIN_KEY": "k"])
        #expect(config.port == 8080)
    }

    // MARK: problems

    @Test(arguments: [
        (["--port", "70000"], ConfigurationSetting.port, "70000", "0 to 65535"),
        (["--port", "http"], .port, "http", "0 to 65535"),
        (["--port", "-1"], .port, "-1", "0 to 65535"),
        (["--threads", "many"], .threads, "many", "whole number"),
        (["--threads", "0"], .threads, "0", "1 to 1024"),
        (["--durability", "sometimes"], .durability, "sometimes", "always, never or interval:<ms>"),
        (["--durability", "interval:0"], .durability, "interval:0", "interval:<ms>"),
        (["--auth", "maybe"], .auth, "maybe", "use on or off"),
        (["--public-reads", "2"], .publicReads, "2", "use on or off"),
        (["--demo=sure"], .demo, "sure", "use on or off"),
        (["--feed", "kite"], .feed, "kite", "simulated or none"),
        (["--feed-rate", "0"], .feedRate, "0", "ticks per second"),
        (["--feed-instruments", "lots"], .feedInstruments, "lots", "number of instruments"),
        (["--feed-stall-seconds", "-5"], .feedStallSeconds, "-5", "whole seconds"),
        (["--log-level", "verbose"], .logLevel, "verbose", "debug, info, warn or error"),
        (["--segment-bytes", "1000"], .segmentBytes, "1000", "at least 1 MiB"),
        (["--segment-bytes", "64 parsecs"], .segmentBytes, "64 parsecs", "at least 1 MiB"),
        (["--host", ""], .host, "", "127.0.0.1"),
        (["--data="], .data, "", "directory"),
    ] as [([String], ConfigurationSetting, String, String)])
    func badValueNamesFlagEnvironmentVariableValueAndFix(arguments: [String], setting: ConfigurationSetting,
                                                        value: String, fix: String) throws {
        let found = try problems(arguments)
        let problem = try #require(found.first)
        #expect(found.count == 1)
        #expect(problem.setting == setting)
        #expect(problem.value == value)
        #expect(problem.message.contains(setting.flag))
        #expect(problem.message.contains(setting.environmentName))
        #expect(problem.message.contains("\"\(value)\""))
        #expect(problem.message.contains(fix))
    }

    @Test func problemSaysWhichSourceTheBadValueCameFrom() throws {
        let fromEnvironment = try problems(environment: adminKey.merging(["TAPE_PORT": "99999"]) { $1 })
        #expect(fromEnvironment.first?.message.contains("(from TAPE_PORT)") == true)
        let fromFile = try problems(file: "\n\nport = 99999\n")
        #expect(fromFile.first?.message.contains("(from config file tape.conf line 3)") == true)
    }

    @Test func badValueOverriddenByAHigherSourceIsNotAProblem() throws {
        let config = try configuration(["--port", "9000"], environment: adminKey.merging(["TAPE_PORT": "nope"]) { $1 })
        #expect(config.port == 9000)
    }

    @Test func unknownFlagSuggestsTheClosestSetting() throws {
        let found = try problems(["--prot", "9000"])
        #expect(found.count == 1) // its value is not reported as a second problem
        let message = try #require(found.first).message
        #expect(message.contains("unknown flag \"--prot\""))
        #expect(message.contains("did you mean --port (TAPE_PORT"))
    }

    @Test func unknownFlagFarFromEverySettingListsTheKnownOnes() throws {
        let message = try #require(try problems(["--frobnicate"]).first).message
        #expect(message.contains("unknown flag \"--frobnicate\""))
        #expect(!message.contains("did you mean"))
        #expect(message.contains("--port"))
    }

    @Test func unknownFileKeySuggestsTheClosestSettingEvenInEnvironmentSpelling() throws {
        let found = try problems(file: "log_levle = debug\nTAPE_PROT = 1\nfeed-rate = 3\n")
        try #require(found.count == 3)
        #expect(found[0].message.contains("line 1: unknown key \"log_levle\"; did you mean --log-level"))
        #expect(found[1].message.contains("did you mean --port"))
        #expect(found[2].message.contains("did you mean --feed-rate"))
    }

    @Test func malformedDuplicateAndSelfReferencingFileLinesAreProblems() throws {
        let found = try problems(file: "port 8080\nport = 1\nport = 2\nconfig = other.conf\n")
        try #require(found.count == 3)
        #expect(found[0].message.contains("line 1: \"port 8080\" is not a \"key = value\" line"))
        #expect(found[1].message.contains("line 3: \"port\" (--port / TAPE_PORT) is already set on line 2"))
        #expect(found[2].message.contains("\"config\" cannot be set inside a config file"))
    }

    @Test func unreadableConfigFileIsAProblemNamingThePathAndSetting() throws {
        let found = try problems(["--config", "/nope/tape.conf"], fileReadFailure: "No such file or directory")
        let message = try #require(found.first).message
        #expect(message.contains("--config / TAPE_CONFIG"))
        #expect(message.contains("\"/nope/tape.conf\" (from --config) cannot be read: No such file or directory"))
    }

    @Test func loadReportsAMissingConfigFileWithTheOtherProblems() throws {
        let result = TapeConfiguration.load(arguments: ["--port", "x"],
                                            environment: ["TAPE_CONFIG": "/definitely/missing/tape.conf"])
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(error.problems.count == 3)
        #expect(error.description.contains("/definitely/missing/tape.conf"))
    }

    @Test func loadReadsTheConfigFile() throws {
        let path = NSTemporaryDirectory() + "tape-config-\(UUID().uuidString).conf"
        try "port = 9301\nadmin_key = from-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try TapeConfiguration.load(arguments: ["--config", path], environment: [:]).get()
        #expect(config.port == 9301)
        #expect(config.adminKey == "from-file")
        #expect(config.configFile == path)
    }

    @Test func flagWithoutValueAndStrayArgumentsAreProblems() throws {
        let found = try problems(["serve", "--port"])
        try #require(found.count == 2)
        #expect(found[0].message.contains("unexpected argument \"serve\""))
        #expect(found[1].message.contains("--port / TAPE_PORT: --port needs a value"))
    }

    @Test func everyProblemIsReportedTogether() throws {
        let error = try #require(TapeConfiguration.parse(
            arguments: ["--port", "65536", "--threads", "x", "--bogus", "--durability", "weekly"],
            environment: ["TAPE_CONFIG": "/etc/tape.conf", "TAPE_LOG_LEVEL": "loud"],
            fileContents: nil, fileReadFailure: "Permission denied"
        ).failure)
        let messages = error.problems.map(\.message)
        #expect(messages.count == 7)
        #expect(messages.contains { $0.hasPrefix("--port / TAPE_PORT") })
        #expect(messages.contains { $0.hasPrefix("--threads / TAPE_THREADS") })
        #expect(messages.contains { $0.contains("unknown flag \"--bogus\"") })
        #expect(messages.contains { $0.hasPrefix("--durability / TAPE_DURABILITY") })
        #expect(messages.contains { $0.hasPrefix("--log-level / TAPE_LOG_LEVEL") })
        #expect(messages.contains { $0.contains("Permission denied") })
        #expect(messages.contains { $0.hasPrefix("auth is enabled but no admin key is set") })
        #expect(error.description.split(separator: "\n").count == 7)
        #expect(error.exitStatus == 78)
    }

    // MARK: auth and demo

    @Test func authWithoutAdminKeyFailsWithTheExactMessage() throws {
        let found = try problems(environment: [:])
        #expect(found.map(\.message) == [
            "auth is enabled but no admin key is set: set TAPE_ADMIN_KEY or pass --admin-key, or disable auth with TAPE_AUTH=off",
        ])
        #expect(found.first?.setting == .adminKey)
        // An empty key is no key.
        #expect(try problems(["--admin-key="], environment: [:]).count == 1)
    }

    @Test func authOffNeedsNoAdminKey() throws {
        let config = try configuration(environment: ["TAPE_AUTH": "off"])
        #expect(config.adminKey == nil)
        #expect(!config.needsGeneratedAdminKey)
    }

    @Test func demoWithoutAdminKeyAsksTheCallerToGenerateOne() throws {
        let config = try configuration(["--demo"], environment: [:])
        #expect(config.isDemo)
        #expect(config.needsGeneratedAdminKey)
        #expect(config.feed == .simulated)
        let withKey = try configuration(["--demo"], environment: adminKey)
        #expect(!withKey.needsGeneratedAdminKey)
        let fromEnvironment = try configuration(environment: ["TAPE_DEMO": "on"])
        #expect(fromEnvironment.needsGeneratedAdminKey)
    }

    // MARK: rendering

    @Test func summaryListsEffectiveSettingsAndRedactsTheAdminKey() throws {
        let config = try configuration(["--port", "0"])
        let summary = config.summary
        #expect(!summary.contains("s3cret-admin"))
        #expect(summary.contains("admin_key"))
        #expect(summary.contains("= ***"))
        #expect(summary.contains("port               = 0 (any free port)"))
        #expect(summary.contains("durability         = always"))
        #expect(summary.split(separator: "\n").count == ConfigurationSetting.allCases.count)
        let demo = try configuration(["--demo"], environment: [:])
        #expect(demo.summary.contains("(generated at start)"))
    }

    @Test func helpListsEverySettingWithItsNamesAndDefault() {
        let help = TapeConfiguration.help(threads: 3)
        for setting in ConfigurationSetting.allCases {
            #expect(help.contains(setting.flag), "\(setting.flag) missing")
            #expect(help.contains(setting.environmentName), "\(setting.environmentName) missing")
            #expect(help.contains("\n" + setting.fileKey + " "), "file key \(setting.fileKey) missing")
        }
        #expect(help.contains("--port N, TAPE_PORT\n"))
        #expect(help.contains("[default: 8080]"))
        #expect(help.contains("[default: one per core (3 here)]"))
        #expect(help.contains("[default: 64M]"))
        #expect(help.contains("--durability always|never|interval:MS"))
    }

    @Test func portInUseNamesTheAddressAndTheSettingToChange() {
        let error = PortInUse(host: "127.0.0.1", port: 8080)
        #expect(error.description
                == "cannot listen on 127.0.0.1:8080: address already in use; set TAPE_PORT or pass --port to use another port")
        #expect(error.exitStatus == 75)
        #expect(PortInUse(host: "::1", port: 9).description.hasPrefix("cannot listen on [::1]:9:"))
    }

    @Test func settingNamesFollowOneScheme() {
        #expect(ConfigurationSetting.adminKey.flag == "--admin-key")
        #expect(ConfigurationSetting.adminKey.environmentName == "TAPE_ADMIN_KEY")
        #expect(ConfigurationSetting.adminKey.fileKey == "admin_key")
        #expect(ConfigurationSetting.feedStallSeconds.environmentName == "TAPE_FEED_STALL_SECONDS")
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
