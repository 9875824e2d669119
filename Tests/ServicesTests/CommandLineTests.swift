import Foundation
import Testing
import TapeTestSupport

/// The `tape` executable's own surface: help, and arguments it does not take.
@Suite struct CommandLineTests {
    /// A directory no command may create or touch: help answers before anything is opened.
    let untouched = NSTemporaryDirectory() + "tape-cli-untouched-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"

    @Test(arguments: [["--help"], ["-h"], ["help"], ["verify", "--help"], ["replay", "-h", "--data"],
                      ["import", "ticks", "--help"], ["audit", "alert", "-h"]])
    func helpPrintsTheUsageAndExitsZero(arguments: [String]) throws {
        let run = try runTape(arguments + (arguments.last == "--data" ? [untouched] : []), environment: ["TAPE_DATA": untouched])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.hasPrefix("usage: tape <command> [options]"))
        #expect(!FileManager.default.fileExists(atPath: untouched))
    }

    @Test func serveHelpListsItsSettingsAndStartsNothing() throws {
        let run = try runTape(["serve", "--help", "--port", "1"], environment: ["TAPE_DATA": untouched])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.hasPrefix("usage: tape serve [options]"))
        #expect(run.output.contains("--feed-rate N, TAPE_FEED_RATE"))
        #expect(!FileManager.default.fileExists(atPath: untouched))
    }

    @Test func benchHelpIsTapeBenchsOwn() throws {
        let run = try runTape(["bench", "--help"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.hasPrefix("usage: tape-bench"))
    }

    @Test(arguments: [(["verify", "extra"], "unexpected argument 'extra'"),
                      (["verify", "-x"], "unexpected argument '-x' (options start with --)"),
                      (["dump", "--limit", "1", "data"], "unexpected argument 'data'"),
                      (["fixtures", "instruments", "more"], "unexpected argument 'more'"),
                      (["import", "ticks", "a.csv", "b.csv"], "unexpected argument 'b.csv'"),
                      (["audit", "alert", "7", "8"], "tape audit alert needs one alert id")])
    func argumentsACommandDoesNotTakeAreAUsageError(arguments: [String], message: String) throws {
        let run = try runTape(arguments, environment: ["TAPE_DATA": untouched])
        #expect(run.status == 64, "\(run.output)")
        #expect(run.output.hasPrefix("tape: " + message), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: untouched))
    }

    @Test(arguments: [["verify"], ["dump"], ["log", "stats"], ["replay"], ["rebuild"], ["rebuild", "--diff"],
                      ["audit", "alerts"], ["audit", "alert", "1"], ["backup", "--to", "/nonexistent/tape-backup"]])
    func aCommandThatReadsALogRefusesADirectoryWithoutOneAndCreatesNothing(arguments: [String]) throws {
        let run = try runTape(arguments + ["--data", untouched])
        #expect(run.status == 66, "\(run.output)")
        #expect(run.output.hasPrefix("tape: no log in \(untouched)/log: --data (or TAPE_DATA) must name a Tape data directory"),
                "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: untouched))
    }
}
