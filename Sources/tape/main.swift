import EventLog
import Foundation
import Services
import Glibc

let usage = """
usage: tape <command> [options]

  serve         [--data DIR] [--host H] [--port P] [--demo] [--admin-key K] [--config FILE] ...
                                                run every service and the HTTP/WebSocket gateway
  verify        --data DIR                      check every frame and index of the log
  dump          --data DIR [--from-offset N] [--limit N] [--type T[,T]]
                                                print events as NDJSON
  log stats     --data DIR [--json]             segments, events, bytes, ratio, offsets, times
  fixtures instruments [--seed N] [--out FILE] [--expired]
                                                write the demo instrument master (Kite CSV)
  import instruments FILE.csv --data DIR [--exchange NSE,NFO]
                                                append what changed against the catalog
  import ticks  FILE.csv|FILE.ndjson --data DIR [--skip-bad] [--batch N]
                                                append ticks (CSV header token,price,volume,time[,oi,bid,ask]
                                                or NDJSON); bad lines reported, exit 1 unless --skip-bad
  replay        --data DIR [--from T|--from-offset N] [--to T] [--tokens 1,2] [--types tick,...]
                [--speed 1|10|max] [--format ndjson|csv]
                                                stream history to stdout in log order (CSV: ticks)
  rebuild       --data DIR [--projection NAME] [--diff] [--server URL] [--admin-key K]
                                                rebuild projections from offset 0; print hashes. On a running
                                                server: built aside and swapped in without downtime. --diff:
                                                build aside and report what differs (exit 1), swap nothing
  backup        --data DIR --to DEST            hot backup (server may run): projections, then the log
  restore       --from BACKUP --data DIR        restore a backup into an empty DIR, then verify it
  audit alert ID [--firing N] --data DIR        replay the log and explain an alert's firings, with a verdict
  audit alerts [--from T] [--to T] [--alert ID] --data DIR [--json] [--problems]
                                                check every firing in a time range (T: 2026-11-27[T09:15:00Z] or Unix s)
  bench [log|catalog|feed|http|stream|alerts|replay|rebuild|load|all] [--ticks N]
                                                run benchmarks (the tape-bench executable)

DIR defaults to $TAPE_DATA, else ./data; the log lives in DIR/log.
"""

/// Runs one command and returns its exit status.
func run(_ argv: [String]) -> Int32 {
    guard let command = argv.first else {
        print(usage)
        return 64
    }
    do {
        var rest = Array(argv.dropFirst())
        // Help is asked for, not an option to check: it answers before anything is opened. `bench`
        // hands its arguments to `tape-bench`, which answers its own.
        if command != "bench", rest.contains(where: { $0 == "--help" || $0 == "-h" }) {
            print(command == "serve" ? TapeConfiguration.help(threads: ProcessInfo.processInfo.activeProcessorCount) : usage)
            return 0
        }
        if command == "log" {
            guard rest.first == "stats" else { throw UsageError("usage: tape log stats --data DIR") }
            rest.removeFirst()
        }
        if command == "serve" { return try ServeCommand.run(rest) }
        if command == "bench" { return BenchCommand.run(rest) }
        var args = try Arguments(rest)
        switch command {
        case "verify": return try LogCommands.verify(&args)
        case "dump": return try LogCommands.dump(&args)
        case "replay": return try ReplayCommand.run(&args)
        case "log": return try LogCommands.stats(&args)
        case "fixtures": return try CatalogCommands.fixtures(&args)
        case "import" where args.positionals.first == "ticks": return try TickCommands.importTicks(&args)
        case "import": return try CatalogCommands.importInstruments(&args)
        case "rebuild": return try RebuildCommand.run(&args)
        case "backup": return try BackupCommands.backup(&args)
        case "restore": return try BackupCommands.restore(&args)
        case "debug-catch-up": return try DebugCommands.catchUp(&args)
        case "debug-append-loop": return try DebugCommands.appendLoop(&args)
        case "audit": return try AlertCommands.audit(&args)
        case "debug-alert-engine": return try AlertCommands.debugEngine(&args)
        case "help", "--help", "-h":
            print(usage)
            return 0
        default:
            throw UsageError("unknown command '\(command)'")
        }
    } catch let error as UsageError {
        printError("tape: \(error)\n\n\(usage)")
        return 64
    } catch let error as MissingLog {
        printError("tape: \(error)")
        return 66
    } catch let error as InstrumentCSVError {
        printError("tape: \(error)")
        return 65
    } catch let error as TickFileError {
        printError("tape: \(error)")
        return 65
    } catch let error as LogError {
        printError("tape: \(error)")
        if case .corrupt = error { return 65 }
        return 74
    } catch {
        printError("tape: \(error)")
        return 1
    }
}

exit(run(Array(CommandLine.arguments.dropFirst())))
