import EventLog
import Projections

extension FeedSupervisor {
    /// The feed `configuration` asks for (`feed`, `feedRate`, `feedInstruments`,
    /// `feedStallSeconds`), appending to `log` and ticking the catalog's most liquid
    /// instruments; nil when the feed is `.none`. Not started.
    public static func make(for configuration: TapeConfiguration, log: EventLog, catalog: InstrumentCatalog,
                            clock: any FeedClock = SystemFeedClock()) -> FeedSupervisor? {
        switch configuration.feed {
        case .none:
            return nil
        case .simulated:
            let feed = SimulatedFeed(catalog: catalog, count: configuration.feedInstruments, rate: configuration.feedRate)
            return FeedSupervisor(feed: feed, log: log, clock: clock, stallAfter: .seconds(configuration.feedStallSeconds))
        }
    }
}
