import EventLog
import Foundation
import Testing
import TapeTestSupport

/// Random damage to copies of a real multi-segment log: every case is found with its place, a torn tail is cut on
/// open, and every event before the damage reads back unchanged.
@Suite(.serialized) struct LogCorruptionTests {
    /// How many damage cases (`TAPE_CORRUPTION_CASES`, 1,000 unless set).
    static let caseCount = ProcessInfo.processInfo.environment["TAPE_CORRUPTION_CASES"].flatMap(Int.init) ?? 1_000
    /// One case in this many is also checked by the real `tape verify` (`TAPE_CORRUPTION_BINARY_EVERY`, 10 unless set).
    static let binaryEvery = max(1, ProcessInfo.processInfo.environment["TAPE_CORRUPTION_BINARY_EVERY"].flatMap(Int.init) ?? 10)

    /// One way to damage the log.
    enum Damage: CustomStringConvertible {
        /// Bytes of a segment XORed with non-zero masks.
        case flips(segment: String, positions: [Int64], masks: [UInt8])
        /// A segment cut short inside a batch.
        case truncation(segment: String, size: Int64)

        var segment: String {
            switch self {
            case .flips(let segment, _, _), .truncation(let segment, _): segment
            }
        }
        /// The first byte the damage touches.
        var firstPosition: Int64 {
            switch self {
            case .flips(_, let positions, _): positions.min()!
            case .truncation(_, let size): size
            }
        }
        var description: String {
            switch self {
            case .flips(let segment, let positions, let masks): "flips in \(segment) at \(positions) with \(masks)"
            case .truncation(let segment, let size): "\(segment) cut to \(size) bytes"
            }
        }
    }

    /// Draws a case: byte flips anywhere in any segment, or a cut inside a batch; one case in ten is a torn tail.
    static func makeDamage(_ log: DamagedLog, using rng: inout SplitMix64) -> Damage {
        if rng.index(10) == 0 {
            let last = log.batches.last!
            return .truncation(segment: last.segment, size: last.position + 1 + Int64(rng.index(Int(last.length) - 1)))
        }
        let batch = log.batches[rng.index(log.batches.count)]
        if rng.index(3) == 0 {
            return .truncation(segment: batch.segment, size: batch.position + 1 + Int64(rng.index(Int(batch.length) - 1)))
        }
        let segmentBatches = log.batches.filter { $0.segment == batch.segment }
        let size = segmentBatches.last!.endPosition
        let count = 1 + rng.index(3)
        // Flips cluster in one batch half the time (a bad sector), and scatter over the segment otherwise.
        let positions = (0..<count).map { _ in
            rng.index(2) == 0 ? batch.position + Int64(rng.index(Int(batch.length))) : Int64(rng.index(Int(size)))
        }
        return .flips(segment: batch.segment, positions: positions, masks: positions.map { _ in UInt8(1 + rng.index(255)) })
    }

    static func apply(_ damage: Damage, to log: DamagedLog) throws {
        let file = try File(path: log.path(of: damage.segment), flags: O_RDWR)
        switch damage {
        case .flips(_, let positions, let masks):
            for (position, mask) in zip(positions, masks) {
                let byte = try file.read(count: 1, at: position)[0]
                try file.write([byte ^ mask], at: position)
            }
        case .truncation(_, let size):
            try file.truncate(to: size)
        }
    }

    @Test func everyDamageIsFoundAtItsPlaceAndEveryEventBeforeItReadsBackUnchanged() throws {
        let log = try DamagedLog()
        #expect(log.segments.count >= 4, "the log should span several segments, it has \(log.segments.count)")
        var rng = SplitMix64(seed: ProcessInfo.processInfo.environment["TAPE_FUZZ_SEED"].flatMap(UInt64.init) ?? 0xC0FF_EE00)
        var binaryChecks = 0, tornTails = 0, harmless = 0
        for number in 0..<Self.caseCount {
            let damage = Self.makeDamage(log, using: &rng)
            let damaged = try #require(log.batch(containing: damage.firstPosition, in: damage.segment))
            let path = log.path(of: damage.segment)
            let context = "case \(number): \(damage); first damaged batch at byte \(damaged.position), offsets from \(damaged.baseOffset)"
            try Self.apply(damage, to: log)
            defer { try? log.restore() }

            // The in-process checker behind `tape verify` finds the first damaged batch by segment, byte and offsets.
            let report = try LogInspector.verify(directory: log.logDirectory)
            guard let first = report.problems.first else {
                // Only a flip that changes no decoded byte (a match offset into identical bytes) may pass: then nothing is damaged.
                let read = try log.readBack()
                #expect(read.count == UInt64(log.records.count) && read.mismatch == nil && read.stoppedBy == nil,
                        "verify found nothing, yet the log reads back \(read): \(context)")
                harmless += 1
                continue
            }
            #expect(first.segment == path && first.position == damaged.position, "verify reported \(first): \(context)")
            #expect(first.description.contains("\(path) at byte \(damaged.position)"), "\(first): \(context)")

            // The real binary, for one case in ten.
            if number % Self.binaryEvery == 0 {
                let (status, output) = try runTape(["verify", "--data", log.dataDirectory])
                #expect(status == 1 && output.contains("BAD FRAME: corrupt log: \(path) at byte \(damaged.position)"),
                        "tape verify exited \(status): \(output.suffix(600)) — \(context)")
                binaryChecks += 1
            }

            // A reader never serves an event that was not appended, and never stops short of the damage silently.
            // A cut inside the last segment is a torn tail whichever batch it falls in: nothing after it is left.
            let isTornTail: Bool
            if case .truncation = damage, damaged.isInLastSegment { isTornTail = true } else { isTornTail = false }
            let read = try log.readBack()
            #expect(read.mismatch == nil, "a reader served an event that was never appended at offset \(read.mismatch ?? 0): \(context)")
            #expect(read.count <= damaged.baseOffset, "a reader read \(read.count) events, past the damage at \(damaged.baseOffset): \(context)")
            if isTornTail {
                // A batch still being written looks like this: a reader stops before it, as at the end.
                #expect(read.count == damaged.baseOffset && read.stoppedBy == nil, "\(read): \(context)")
            } else if damaged.isInLastSegment, damaged.endPosition == log.batches.last!.endPosition {
                // Damage in the very last batch may be a write in progress to a reader: it stops there, reported or not
                // (`tape verify` and opening for writing, checked here, do report it).
                #expect(read.count == damaged.baseOffset, "\(read): \(context)")
            } else if case .corrupt(let segment, _, _, _)? = read.stoppedBy {
                #expect(segment == path, "the reader named \(segment): \(context)")
            } else {
                Issue.record("a reader read \(read.count) events and reported no damage: \(context)")
            }

            // Opening for writing cuts a torn tail; with `truncateAtDamage` (tape serve --stop-at-damage) it cuts any damage.
            // Either way every event before the damaged batch is kept, and bytes that may hold acknowledged events are moved aside.
            var options = LogOptions(durability: .never)
            options.truncateAtDamage = !isTornTail
            let originalSize = fileSize(path)
            let writer = try EventLog(directory: log.logDirectory, options: options)
            #expect(writer.acceptedEnd == damaged.baseOffset, "\(writer.recovery): \(context)")
            #expect(writer.recovery.truncatedBytes == originalSize - damaged.position, "\(writer.recovery): \(context)")
            if isTornTail {
                tornTails += 1
                #expect(writer.recovery.keptBytesPath == nil, "a torn tail is not kept: \(context)")
            } else if let kept = writer.recovery.keptBytesPath {
                #expect(fileSize(kept) == originalSize - damaged.position, "\(kept): \(context)")
                for later in log.segments.drop(while: { $0 != damage.segment }).dropFirst() {
                    #expect(fileSize(log.logDirectory + "/damaged/" + later) > 0, "\(later) was not moved aside: \(context)")
                }
            } else {
                Issue.record("the bytes cut at the damage were not kept: \(writer.recovery): \(context)")
            }
            try writer.close()
            let after = try log.readBack()
            #expect(after.count == damaged.baseOffset && after.stoppedBy == nil && after.mismatch == nil, "after the cut: \(after): \(context)")
        }
        #expect(binaryChecks > 0 && tornTails > 0 && harmless < Self.caseCount / 100, "\(binaryChecks) checks by tape verify, \(tornTails) torn tails, \(harmless) harmless flips")
    }
}
