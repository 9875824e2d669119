import EventLog
import Foundation
import Testing

@Suite struct EventTypeMaskTests {
    @Test func holdsExactlyTheCodesInsertedAcrossAllFourWords() {
        let codes: [UInt8] = [0, 1, 63, 64, 127, 128, 191, 192, 255]
        var rng = SplitMix64(seed: 9)
        for _ in 0..<200 {
            let chosen = Set(codes.filter { _ in rng.next() & 1 == 1 })
            let mask = EventTypeMask(chosen.map { EventType(rawValue: $0) })
            for code in 0...255 { #expect(mask.contains(code: UInt8(code)) == chosen.contains(UInt8(code))) }
            #expect(mask == EventTypeMask(chosen.sorted().reversed().map { EventType(rawValue: $0) }))
        }
    }

    @Test func aScanOfSomeTypesVisitsExactlyTheirEntriesAtTheirOffsets() throws {
        let dir = NSTemporaryDirectory() + "tape-mask-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try EventLog(directory: dir, options: LogOptions(durability: .never))
        var rng = SplitMix64(seed: 3)
        for batch in 0..<40 {
            try log.append((0..<(batch % 7 + 1) * 13).map { i in
                let event: Event = switch rng.next() % 4 {
                case 0: .signalPublished(SignalPublished(model: "m", token: UInt32(i), value: 1))
                case 1: .userCreated(UserCreated(userID: UInt64(i), name: "u", isAdmin: false))
                default: .tick(Tick(token: UInt32(i), price: Int64(i), volume: 1))
                }
                return Record(time: Timestamp(seconds: Double(1_764_000_000 + batch)), event: event)
            })
        }
        try log.close()
        let reader = try LogReader(directory: dir)
        var all: [LogEntry] = []
        try reader.scan(from: 0) { all.append($0); return true }
        let wanted: Set<EventType> = [.signalPublished, .userCreated]
        for start in [0, 1, 50, UInt64(all.count - 1)] {
            for limit in [Int.max, 1, 77] {
                var seen: [LogEntry] = []
                try reader.scan(from: start, limit: limit, only: EventTypeMask(wanted)) { seen.append($0); return true }
                let expected = all.filter { $0.offset >= start && $0.offset < start + UInt64(min(limit, all.count)) && wanted.contains($0.event.type) }
                #expect(seen == expected, "from \(start), limit \(limit)")
            }
        }
        // Ticks apart, as bare values: every tick to `ticks`, the wanted others to `visit`, all at their offsets.
        for start in [0, 33, UInt64(all.count - 1)] {
            var ticks: [LogEntry] = [], others: [LogEntry] = []
            try reader.scan(from: start, limit: 100, only: EventTypeMask([.userCreated]), ticks: { offset, time, tick in
                ticks.append(LogEntry(offset: offset, time: time, event: .tick(tick)))
                return true
            }) { others.append($0); return true }
            let range = all.filter { $0.offset >= start && $0.offset < start + 100 }
            #expect(ticks == range.filter { $0.event.type == .tick }, "from \(start)")
            #expect(others == range.filter { $0.event.type == .userCreated }, "from \(start)")
        }
        var first: [LogEntry] = []
        try reader.scan(from: 0, only: EventTypeMask([.tick])) { first.append($0); return false }
        #expect(first.count == 1)
        #expect(first.first == all.first { $0.event.type == .tick })
    }
}
