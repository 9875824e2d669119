import EventLog
import Foundation

/// Appends session events (opened, subscribed, unsubscribed, closed) to the log without making
/// an event loop wait for a disk sync: events are queued and appended in batches on a
/// background queue, in submission order.
///
/// Threads: `submit` from any thread; appends run on the journal's own serial queue.
public final class SessionJournal: Sendable {
    private let log: EventLog
    private let queue = DispatchQueue(label: "tape.session-journal")
    private let pending = Locked<[Record]>([])
    private let failures = Locked<UInt64>(0)

    public init(log: EventLog) { self.log = log }

    /// Queues one event, stamped with the current time.
    public func submit(_ event: Event) {
        let isFirst = pending.withLock { records in
            records.append(Record(time: Timestamp.now(), event: event))
            return records.count == 1
        }
        if isFirst { queue.async { self.drain() } }
    }

    /// Appends that failed (the log refused them); the events are lost, health shows the log's failure.
    public var failedAppends: UInt64 { failures.withLock { $0 } }

    /// Waits until everything submitted so far has been appended (or refused).
    public func flush() { queue.sync {} }

    private func drain() {
        let records = pending.withLock { records in
            defer { records = [] }
            return records
        }
        guard !records.isEmpty else { return }
        do {
            _ = try log.append(records)
        } catch {
            failures.withLock { $0 += 1 }
        }
    }
}
