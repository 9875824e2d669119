import EventLog

extension InstrumentFixture.Output {
    /// The `count` "most liquid" active tokens, most liquid first, for a simulated feed.
    /// Derived from `active` alone, so it is as deterministic as the fixture.
    public func liquid(count: Int = 2_000) -> [UInt32] {
        InstrumentLiquidity.rank(active, count: count)
    }
}

/// Which instruments trade most, guessed from the instrument master alone (no volumes), for
/// the simulated feed and the benchmarks. Stateless; call from any thread.
public enum InstrumentLiquidity {
    /// The `count` "most liquid" tokens of `active` (instruments that trade today), most liquid first.
    ///
    /// In order: every index; each underlying's near-month future; the NSE equities of the
    /// F&O stocks; then NIFTY and BANKNIFTY options of their three nearest expiries, nearest
    /// the money first; then everything else by token. Ties keep the order of `active`, so the
    /// same list always ranks the same.
    public static func rank(_ active: [Instrument], count: Int) -> [UInt32] {
        var ranked: [UInt32] = []
        var taken: Set<UInt32> = []
        func take(_ tokens: some Sequence<UInt32>) {
            for token in tokens where ranked.count < count && taken.insert(token).inserted { ranked.append(token) }
        }

        take(active.filter { $0.segment == "INDICES" }.map(\.token))

        // Index and stock futures trade most, then commodities, then currencies.
        let futureExchanges = ["NFO", "BFO", "MCX", "CDS", "BCD"]
        var nearestFuture: [String: Instrument] = [:]
        for instrument in active where instrument.instrumentType == "FUT" {
            let key = instrument.exchange + "|" + instrument.name
            if let current = nearestFuture[key], let expiry = current.expiry, expiry <= instrument.expiry ?? expiry {
                continue
            }
            nearestFuture[key] = instrument
        }
        take(nearestFuture.values.sorted {
            (futureExchanges.firstIndex(of: $0.exchange) ?? 0, $0.token) < (futureExchanges.firstIndex(of: $1.exchange) ?? 0, $1.token)
        }.map(\.token))

        let fnoStocks = Set(active.filter { $0.exchange == "NFO" && $0.instrumentType == "FUT" }.map(\.name))
        take(active.filter { $0.exchange == "NSE" && $0.segment == "NSE" && fnoStocks.contains($0.tradingSymbol) }
            .map(\.token))

        take(nearTheMoneyOptions(of: ["NIFTY", "BANKNIFTY"], expiries: 3, in: active))
        take(active.map(\.token).sorted())
        return ranked
    }

    /// Options of the underlyings' nearest expiries, ranked by steps from the middle strike
    /// of their chain (chains are centred on the money), then expiry, underlying, CE before PE.
    private static func nearTheMoneyOptions(of underlyings: Set<String>, expiries: Int, in active: [Instrument]) -> [UInt32] {
        struct Chain: Hashable {
            var name: String
            var expiry: CalendarDay
        }
        var chains: [Chain: [Instrument]] = [:]
        for instrument in active where instrument.exchange == "NFO" && underlyings.contains(instrument.name)
            && instrument.instrumentType != "FUT"
        {
            guard let expiry = instrument.expiry else { continue }
            chains[Chain(name: instrument.name, expiry: expiry), default: []].append(instrument)
        }
        var ranked: [(distance: Int, expiryRank: Int, instrument: Instrument)] = []
        for name in underlyings {
            let nearest = chains.keys.filter { $0.name == name }.map(\.expiry).sorted().prefix(expiries)
            for (expiryRank, expiry) in nearest.enumerated() {
                let options = chains[Chain(name: name, expiry: expiry)] ?? []
                let strikes = Array(Set(options.map(\.strike))).sorted()
                guard let middle = strikes.indices.middle else { continue }
                let position = Dictionary(uniqueKeysWithValues: strikes.enumerated().map { ($0.element, $0.offset) })
                for option in options {
                    ranked.append((abs(position[option.strike]! - middle), expiryRank, option))
                }
            }
        }
        ranked.sort {
            ($0.distance, $0.expiryRank, $0.instrument.name, $0.instrument.instrumentType, $0.instrument.token)
                < ($1.distance, $1.expiryRank, $1.instrument.name, $1.instrument.instrumentType, $1.instrument.token)
        }
        return ranked.map(\.instrument.token)
    }
}

private extension Range<Int> {
    var middle: Int? { isEmpty ? nil : (lowerBound + upperBound) / 2 }
}
