/// Everything that can happen in Tape. The log stores these; projections fold them.
///
/// Each case has a stable `EventType` code and a codec version. A new field means a new
/// version of the case; an existing (type, version) is never reinterpreted.
/// Cases other than ticks are `indirect`: ticks dominate the log, and keeping the enum the size
/// of a tick makes replays copy a quarter of the bytes.
public enum Event: Hashable, Sendable {
    indirect case instrumentListed(Instrument)
    /// The full new record of an instrument already listed.
    indirect case instrumentUpdated(Instrument)
    case instrumentDelisted(token: UInt32)
    case tick(Tick)
    indirect case sessionOpened(SessionOpened)
    indirect case subscribed(Subscription)
    indirect case unsubscribed(Subscription)
    indirect case sessionClosed(SessionClosed)
    indirect case alertCreated(AlertChange)
    indirect case alertUpdated(AlertChange)
    case alertDeleted(AlertDeleted)
    indirect case alertTriggered(AlertTriggered)
    indirect case userCreated(UserCreated)
    indirect case apiKeyIssued(APIKeyIssued)
    case apiKeyRevoked(APIKeyRevoked)
    indirect case signalPublished(SignalPublished)
    /// Ticks ingested under an idempotency key; the ticks follow it in the same batch.
    indirect case ticksIngested(TicksIngested)
    /// A record whose (type, version) this build does not know; kept verbatim so that
    /// older binaries can read, dump and skip newer logs.
    indirect case unknown(type: UInt8, version: UInt8, payload: [UInt8])

    public var type: EventType {
        switch self {
        case .instrumentListed: .instrumentListed
        case .instrumentUpdated: .instrumentUpdated
        case .instrumentDelisted: .instrumentDelisted
        case .tick: .tick
        case .sessionOpened: .sessionOpened
        case .subscribed: .subscribed
        case .unsubscribed: .unsubscribed
        case .sessionClosed: .sessionClosed
        case .alertCreated: .alertCreated
        case .alertUpdated: .alertUpdated
        case .alertDeleted: .alertDeleted
        case .alertTriggered: .alertTriggered
        case .userCreated: .userCreated
        case .apiKeyIssued: .apiKeyIssued
        case .apiKeyRevoked: .apiKeyRevoked
        case .signalPublished: .signalPublished
        case .ticksIngested: .ticksIngested
        case .unknown(let type, _, _): EventType(rawValue: type)
        }
    }
}

/// The stable one-byte code of an event type, and its snake_case name for CLI flags and NDJSON.
public struct EventType: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let instrumentListed = EventType(rawValue: 1)
    public static let instrumentUpdated = EventType(rawValue: 2)
    public static let instrumentDelisted = EventType(rawValue: 3)
    public static let tick = EventType(rawValue: 4)
    public static let sessionOpened = EventType(rawValue: 5)
    public static let subscribed = EventType(rawValue: 6)
    public static let unsubscribed = EventType(rawValue: 7)
    public static let sessionClosed = EventType(rawValue: 8)
    public static let alertCreated = EventType(rawValue: 9)
    public static let alertUpdated = EventType(rawValue: 10)
    public static let alertDeleted = EventType(rawValue: 11)
    public static let alertTriggered = EventType(rawValue: 12)
    public static let userCreated = EventType(rawValue: 13)
    public static let apiKeyIssued = EventType(rawValue: 14)
    public static let apiKeyRevoked = EventType(rawValue: 15)
    public static let signalPublished = EventType(rawValue: 16)
    public static let ticksIngested = EventType(rawValue: 17)

    /// The codes this build knows; any other is kept as `Event.unknown`.
    public static let knownCodes: ClosedRange<UInt8> = 1...17
    public static let allCases: [EventType] = knownCodes.map { EventType(rawValue: $0) }

    private static let names = [
        "", "instrument_listed", "instrument_updated", "instrument_delisted", "tick",
        "session_opened", "subscribed", "unsubscribed", "session_closed",
        "alert_created", "alert_updated", "alert_deleted", "alert_triggered",
        "user_created", "api_key_issued", "api_key_revoked", "signal_published",
        "ticks_ingested",
    ]

    /// The snake_case name (`tick`, `alert_triggered`); `type_<n>` for codes this build does not know.
    public var name: String {
        Int(rawValue) < Self.names.count && rawValue > 0 ? Self.names[Int(rawValue)] : "type_\(rawValue)"
    }

    /// Looks a type up by its snake_case name.
    public init?(name: String) {
        guard let index = Self.names.firstIndex(of: name), index > 0 else { return nil }
        self.rawValue = UInt8(index)
    }

    public var description: String { name }

    /// A comma-separated list of names (`tick,signal_published`), as `tape replay --types` and
    /// `GET /replay?types=` take it; throws naming the first unknown one.
    public static func list(_ names: String) throws(UnknownEventType) -> Set<EventType> {
        var types: Set<EventType> = []
        for name in names.split(separator: ",") {
            guard let type = EventType(name: String(name)) else { throw UnknownEventType(name: String(name.prefix(40))) }
            types.insert(type)
        }
        return types
    }
}

/// A name no event type has.
public struct UnknownEventType: Error, Sendable, CustomStringConvertible {
    public var name: String
    public var description: String { "unknown event type \"\(name)\"" }
}

/// A WebSocket session started; `protocolName` is `v2` or `kite`.
public struct SessionOpened: Hashable, Sendable {
    public var sessionID: UInt64
    public var userID: UInt64?
    public var protocolName: String
    public init(sessionID: UInt64, userID: UInt64?, protocolName: String) {
        self.sessionID = sessionID
        self.userID = userID
        self.protocolName = protocolName
    }
}

/// Tokens added to or removed from a session's subscription set, with the streaming mode.
public struct Subscription: Hashable, Sendable {
    public var sessionID: UInt64
    public var tokens: [UInt32]
    /// `ltp`, `quote` or `full`; empty for unsubscribe.
    public var mode: String
    public init(sessionID: UInt64, tokens: [UInt32], mode: String) {
        self.sessionID = sessionID
        self.tokens = tokens
        self.mode = mode
    }
}

public struct SessionClosed: Hashable, Sendable {
    public var sessionID: UInt64
    public var reason: String
    public init(sessionID: UInt64, reason: String) {
        self.sessionID = sessionID
        self.reason = reason
    }
}

/// A price alert's rule. Levels are in currency units.
public struct AlertRule: Hashable, Sendable {
    public var token: UInt32
    /// `price_above`, `price_below`, `crosses_above`, `crosses_below`, `pct_change`.
    public var condition: String
    public var price: Double?
    public var percent: Double?
    public var windowSeconds: UInt32?
    /// `once` or `every`.
    public var frequency: String
    public var cooldownSeconds: UInt32
    public var expiresAt: Timestamp?
    public var isEnabled: Bool

    public init(token: UInt32, condition: String, price: Double? = nil, percent: Double? = nil,
                windowSeconds: UInt32? = nil, frequency: String = "once", cooldownSeconds: UInt32 = 0,
                expiresAt: Timestamp? = nil, isEnabled: Bool = true) {
        self.token = token
        self.condition = condition
        self.price = price
        self.percent = percent
        self.windowSeconds = windowSeconds
        self.frequency = frequency
        self.cooldownSeconds = cooldownSeconds
        self.expiresAt = expiresAt
        self.isEnabled = isEnabled
    }
}

/// An alert was created or changed; `version` starts at 1 and grows with every change.
public struct AlertChange: Hashable, Sendable {
    public var alertID: UInt64
    public var userID: UInt64
    public var version: UInt32
    public var rule: AlertRule
    public init(alertID: UInt64, userID: UInt64, version: UInt32, rule: AlertRule) {
        self.alertID = alertID
        self.userID = userID
        self.version = version
        self.rule = rule
    }
}

public struct AlertDeleted: Hashable, Sendable {
    public var alertID: UInt64
    public var version: UInt32
    public init(alertID: UInt64, version: UInt32) {
        self.alertID = alertID
        self.version = version
    }
}

/// An alert fired on the tick at `tickOffset`; the rule as of `ruleVersion` explains why.
public struct AlertTriggered: Hashable, Sendable {
    public var alertID: UInt64
    public var ruleVersion: UInt32
    public var tickOffset: UInt64
    public var price: Double
    public var tickTime: Timestamp
    public init(alertID: UInt64, ruleVersion: UInt32, tickOffset: UInt64, price: Double, tickTime: Timestamp) {
        self.alertID = alertID
        self.ruleVersion = ruleVersion
        self.tickOffset = tickOffset
        self.price = price
        self.tickTime = tickTime
    }
}

public struct UserCreated: Hashable, Sendable {
    public var userID: UInt64
    public var name: String
    public var isAdmin: Bool
    public init(userID: UInt64, name: String, isAdmin: Bool) {
        self.userID = userID
        self.name = name
        self.isAdmin = isAdmin
    }
}

/// An API key was issued: only a salted hash is ever stored, never the key.
public struct APIKeyIssued: Hashable, Sendable {
    public var keyID: UInt64
    public var userID: UInt64
    public var salt: [UInt8]
    public var hash: [UInt8]
    public var label: String
    public init(keyID: UInt64, userID: UInt64, salt: [UInt8], hash: [UInt8], label: String) {
        self.keyID = keyID
        self.userID = userID
        self.salt = salt
        self.hash = hash
        self.label = label
    }
}

public struct APIKeyRevoked: Hashable, Sendable {
    public var keyID: UInt64
    public init(keyID: UInt64) { self.keyID = keyID }
}

/// An ML model's output for an instrument at the event's time, drawn as a chart mark.
public struct SignalPublished: Hashable, Sendable {
    public var model: String
    public var token: UInt32
    public var value: Double
    public var label: String?
    public var confidence: Double?
    public init(model: String, token: UInt32, value: Double, label: String? = nil, confidence: Double? = nil) {
        self.model = model
        self.token = token
        self.value = value
        self.label = label
        self.confidence = confidence
    }
}

/// A tick ingest request carrying an idempotency key was answered.
///
/// Appended in the same batch as the ticks it accepted, directly before them, so one atomic
/// append holds both and a crash keeps both or neither: the ticks are the `tickCount` offsets
/// right after this record's own (`tickOffsets(after:)`). Rebuilding the set of keys seen is a
/// scan for these records alone; the answer to a retried request is rebuilt from one of them.
public struct TicksIngested: Hashable, Sendable {
    /// One item the request rejected: its 0-based position in the request, and why.
    public struct Rejection: Hashable, Sendable {
        public var index: UInt32
        public var message: String
        public init(index: UInt32, message: String) {
            self.index = index
            self.message = message
        }
    }

    /// The client's `Idempotency-Key`.
    public var key: String
    /// How many ticks follow this record in its batch.
    public var tickCount: UInt32
    /// A hash of the request body, so that reusing a key for another body can be refused.
    public var bodyHash: UInt64
    /// The items the request rejected, in request order.
    public var rejected: [Rejection]

    public init(key: String, tickCount: UInt32, bodyHash: UInt64, rejected: [Rejection]) {
        self.key = key
        self.tickCount = tickCount
        self.bodyHash = bodyHash
        self.rejected = rejected
    }

    /// The offsets of the ticks, given this record's offset; nil when the request accepted none.
    public func tickOffsets(after offset: UInt64) -> ClosedRange<UInt64>? {
        tickCount == 0 ? nil : (offset + 1)...(offset + UInt64(tickCount))
    }
}

/// An event with the time it happened (for ticks, the exchange time).
public struct Record: Hashable, Sendable {
    public var time: Timestamp
    public var event: Event
    public init(time: Timestamp, event: Event) {
        self.time = time
        self.event = event
    }
}

/// A record as stored: its dense, never-reused log offset, time and event.
public struct LogEntry: Hashable, Sendable {
    public var offset: UInt64
    public var time: Timestamp
    public var event: Event
    public init(offset: UInt64, time: Timestamp, event: Event) {
        self.offset = offset
        self.time = time
        self.event = event
    }
    public var record: Record { Record(time: time, event: event) }
}
