import EventLog

/// The quotes fold: one `Quote` per token that ticked, folded tick by tick.
///
/// A pure value type with no I/O, so that anything that tails the log itself (the streaming
/// hub) folds exactly what `QuotesProjection` folds. Each owner mutates its own copy.
public struct QuoteBook: Sendable {
    /// Quotes by token.
    public private(set) var quotes: [UInt32: Quote]

    /// An empty book.
    public init() { quotes = [:] }

    init(quotes: [UInt32: Quote]) { self.quotes = quotes }

    /// The quote of `token`; nil until it ticks.
    public subscript(token: UInt32) -> Quote? { quotes[token] }

    /// Tokens with a quote.
    public var count: Int { quotes.count }

    /// Folds one tick at its log time and offset; returns the token's updated quote.
    @discardableResult
    public mutating func apply(_ tick: Tick, time: Timestamp, offset: UInt64) -> Quote {
        // Update in place through the values view: one hash, no copy of the quote in the dictionary.
        if let index = quotes.index(forKey: tick.token) {
            quotes.values[index].apply(tick, time: time, offset: offset)
            return quotes.values[index]
        }
        let quote = Quote(tick: tick, time: time, offset: offset)
        quotes[tick.token] = quote
        return quote
    }

    /// Folds a log entry: ticks change a quote (returned), every other event is ignored (nil).
    @discardableResult
    public mutating func apply(_ entry: LogEntry) -> Quote? {
        guard case .tick(let tick) = entry.event else { return nil }
        return apply(tick, time: entry.time, offset: entry.offset)
    }

    /// Replaces (or adds) the quotes of the given tokens with `other`'s, for publishing a batch.
    mutating func copy(_ tokens: some Sequence<UInt32>, from other: QuoteBook) {
        for token in tokens { quotes[token] = other.quotes[token] }
    }
}
