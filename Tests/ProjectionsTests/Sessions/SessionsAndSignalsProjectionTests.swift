import EventLog
import Foundation
import Testing
@testable import Projections

/// The sessions and signals folds: what they keep, and that resuming from SQLite, rebuilding
/// and folding in other batch sizes all give the same state.
@Suite struct SessionsAndSignalsProjectionTests {
    static func records() -> [Record] {
        var events: [Event] = []
        for id in UInt64(1)...40 {
            events.append(.sessionOpened(SessionOpened(sessionID: id, userID: id % 3 == 0 ? nil : id % 5, protocolName: id % 2 == 0 ? "v2" : "kite")))
            events.append(.subscribed(Subscription(sessionID: id, tokens: [UInt32(id), UInt32(id + 1), 7], mode: "ltp")))
            events.append(.signalPublished(SignalPublished(model: "m\(id % 3)", token: UInt32(id % 4), value: Double(id) / 10,
                                                           label: id % 2 == 0 ? "buy" : nil, confidence: id % 3 == 0 ? 0.5 : nil)))
            if id % 4 == 0 { events.append(.unsubscribed(Subscription(sessionID: id, tokens: [7], mode: ""))) }
            if id % 5 == 0 { events.append(.subscribed(Subscription(sessionID: id, tokens: [7], mode: "full"))) }
            if id % 3 == 0 { events.append(.sessionClosed(SessionClosed(sessionID: id, reason: "bye"))) }
        }
        events.append(.subscribed(Subscription(sessionID: 999, tokens: [1], mode: "ltp")))   // never opened: ignored
        // Times go backwards now and then: signals are kept in time order, whatever the log order.
        return events.enumerated().map { i, event in Record(time: Timestamp(nanoseconds: 1_764_300_000_000_000_000 + Int64((i * 7919) % 500) * 1_000_000), event: event) }
    }

    @Test func sessionsKeepOpenOnesWithTheirSubscriptions() throws {
        let directory = TemporaryDirectory()
        let log = MemoryLog(Self.records())
        let sessions = SessionsProjection()
        try ProjectionRunner(projection: sessions, log: log, databasePath: directory.file("p.sqlite"), batchSize: 7).catchUp()
        let snapshot = sessions.snapshot
        #expect(snapshot.sessions.count == 40 - 13)
        #expect(snapshot.maxSessionID == 40)
        #expect(snapshot.closedCount == 13)
        #expect(snapshot.sessions[4]?.subscriptions == [4: "ltp", 5: "ltp"])
        #expect(snapshot.sessions[5]?.subscriptions == [5: "ltp", 6: "ltp", 7: "full"])
        #expect(snapshot.sessions[999] == nil)
    }

    @Test func signalsAreListedInTimeOrderByTokenAndModel() throws {
        let directory = TemporaryDirectory()
        let log = MemoryLog(Self.records())
        let signals = SignalsProjection()
        try ProjectionRunner(projection: signals, log: log, databasePath: directory.file("p.sqlite"), batchSize: 5).catchUp()
        let all = signals.signals(token: 1, limit: 100)
        #expect(all.count == 10)
        #expect(all.map(\.time.rawValue) == all.map(\.time.rawValue).sorted())
        #expect(signals.signals(token: 1, model: "m1", limit: 100).allSatisfy { $0.model == "m1" })
        #expect(signals.signals(token: 1, limit: 3) == Array(all.suffix(3)))
    }

    @Test(arguments: ["sessions", "signals"])
    func resumeRebuildAndBatchSizesAgree(name: String) throws {
        let directory = TemporaryDirectory()
        let log = MemoryLog(Self.records())
        func make() -> any Projection { name == "sessions" ? SessionsProjection() : SignalsProjection() }
        let live = make()
        let runner = ProjectionRunner(projection: live, log: log, databasePath: directory.file("live.sqlite"), batchSize: 3)
        try runner.catchUp()
        let resumed = make()
        try ProjectionRunner(projection: resumed, log: log, databasePath: directory.file("live.sqlite")).catchUp()
        let rebuilt = make()
        try ProjectionRunner(projection: rebuilt, log: log, databasePath: directory.file("other.sqlite"), batchSize: 1_000).catchUp()
        #expect(resumed.contentHash() == live.contentHash())
        #expect(rebuilt.contentHash() == live.contentHash())
    }
}
