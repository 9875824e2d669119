import EventLog
import Foundation

/// Feeds mutated inputs to one target, records what it broke and its slowest input.
///
/// How many inputs: `TAPE_FUZZ_INPUTS` (20,000 unless set; `make soak` sets 1,000,000). Which
/// inputs: `TAPE_FUZZ_SEED` (a fixed seed per target unless set); input `i` depends only on
/// the seed and `i`, so a reported failure replays with the same two settings. Runs on the
/// calling thread, with a watchdog thread that aborts the process, after printing the input,
/// if one call never returns (a hang would otherwise stall the whole test run silently).
struct FuzzCampaign {
    /// What a run found.
    struct Report {
        var inputs = 0
        /// The first few violations, each with what it takes to replay it.
        var violations: [String] = []
        var violationCount = 0
        /// The bound on one input.
        var inputDeadline: Duration = .seconds(1)
        /// The slowest single input and its replay description.
        var slowest: Duration = .zero
        var slowestInput = ""
        /// Resident memory before and after the run, in bytes.
        var residentBefore = 0
        var residentAfter = 0
    }

    /// Names the target in messages.
    let name: String
    let seed: UInt64
    let inputs: Int
    let seeds: [[UInt8]]
    let mutator: Mutator

    /// One input must return within this (1 s unless said); more is reported as a hang (a correctness bound, not a benchmark).
    let inputDeadline: Duration
    /// Past this the watchdog gives up on the input and aborts the process with its reproducer.
    static let abortDeadline: Duration = .seconds(60)

    /// `inputs` fixes the count (else `TAPE_FUZZ_INPUTS`, else 20,000).
    init(_ name: String, defaultSeed: UInt64, seeds: [[UInt8]], dictionary: [[UInt8]] = [], maxLength: Int = 64 * 1024,
         inputs: Int? = nil, inputDeadline: Duration = .seconds(1), environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.name = name
        self.seed = environment["TAPE_FUZZ_SEED"].flatMap { UInt64($0) } ?? defaultSeed
        self.inputs = inputs ?? environment["TAPE_FUZZ_INPUTS"].flatMap { Int($0) }.map { max(1, $0) } ?? 20_000
        self.inputDeadline = inputDeadline
        self.seeds = seeds
        mutator = Mutator(dictionary: dictionary, maxLength: maxLength)
    }

    /// The input numbered `index` and a generator for the body's own choices (chunk sizes), both from the seed alone.
    func input(_ index: Int) -> (bytes: [UInt8], rng: SplitMix64) {
        var rng = SplitMix64(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        let base = seeds[rng.index(seeds.count)]
        // One input in sixteen is a seed as is, so the valid path is exercised under the same checks.
        let bytes = rng.index(16) == 0 ? base : mutator.mutate(base, seeds: seeds, using: &rng)
        return (bytes, rng)
    }

    /// How to replay input `index`.
    func reproducer(_ index: Int, _ bytes: [UInt8]) -> String {
        Self.reproducer(name: name, seed: seed, index, bytes)
    }

    private static func reproducer(name: String, seed: UInt64, _ index: Int, _ bytes: [UInt8]) -> String {
        let shown = bytes.count > 512 ? Array(bytes[0..<512]) : bytes
        return "\(name) input #\(index) (replay: TAPE_FUZZ_SEED=\(seed) TAPE_FUZZ_INPUTS=\(index + 1)), \(bytes.count) bytes, base64 of the first 512: \(Data(shown).base64EncodedString())"
    }

    /// Runs every input through `body`, which throws `FuzzViolation` (or anything) when an invariant breaks.
    func run(_ body: (_ input: [UInt8], _ rng: inout SplitMix64) throws -> Void) -> Report {
        var report = Report()
        report.residentBefore = Self.residentBytes()
        report.inputDeadline = inputDeadline
        let (name, seed) = (name, seed)
        let watchdog = Watchdog(deadline: Self.abortDeadline) { index, bytes in
            FuzzCampaign.reproducer(name: name, seed: seed, index, bytes)
        }
        defer { watchdog.stop() }
        let clock = ContinuousClock()
        var slowest: (index: Int, bytes: [UInt8])?
        for index in 0..<inputs {
            var (bytes, rng) = input(index)
            watchdog.begin(index, bytes)
            let started = clock.now
            do {
                try body(bytes, &rng)
            } catch {
                report.violationCount += 1
                if report.violations.count < 5 { report.violations.append("\(error) — \(reproducer(index, bytes))") }
            }
            let elapsed = clock.now - started
            watchdog.end()
            if elapsed > report.slowest {
                report.slowest = elapsed
                slowest = (index, bytes)
            }
            report.inputs += 1
        }
        if let slowest { report.slowestInput = reproducer(slowest.index, slowest.bytes) }
        report.residentAfter = Self.residentBytes()
        return report
    }

    /// The process's resident set size from /proc/self/status (VmRSS), 0 if unreadable.
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes * 1024
    }
}
