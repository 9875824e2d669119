import EventLog

extension InstrumentFixture {
    /// A range of exchange tokens for one kind of listing, and the Kite segment code its
    /// instrument tokens carry in their low byte.
    enum TokenPool: CaseIterable {
        case nse, nseIndex, bseIndex, bse, bseDebt, nfo, bfo, cds, bcd, mcx

        var segmentCode: UInt32 {
            switch self {
            case .nse: 1
            case .nfo: 2
            case .cds: 3
            case .bse, .bseDebt: 4
            case .bfo: 5
            case .bcd: 6
            case .mcx: 7
            case .nseIndex, .bseIndex: 9
            }
        }

        /// Disjoint starts within a segment code keep tokens unique (BSE scrip codes start at 500001).
        var firstExchangeToken: UInt32 {
            switch self {
            case .nse: 10
            case .nseIndex: 1_001
            case .bseIndex: 1
            case .bse: 500_001
            case .bseDebt: 950_001
            case .nfo: 35_001
            case .bfo: 820_001
            case .cds: 1_001
            case .bcd: 2_001
            case .mcx: 400_001
            }
        }

        static func derivatives(on exchange: String) -> TokenPool {
            switch exchange {
            case "NFO": .nfo
            case "BFO": .bfo
            case "CDS": .cds
            case "BCD": .bcd
            default: .mcx
            }
        }
    }

    /// Builds one master; owned by the `generate` call that creates it.
    struct Builder {
        static let nseEquityCount = 9_000
        static let expiredWindowDays = 14
        static let exchangeOrder = ["NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"]

        private let seed: UInt64
        private let referenceDay: CalendarDay
        private var random: SplitMix64
        private var nextExchangeToken: [TokenPool: UInt32] = [:]
        private var symbols: Set<String> = []
        private var rows: [Instrument] = []

        init(seed: UInt64, referenceDay: CalendarDay) {
            self.seed = seed
            self.referenceDay = referenceDay
            self.random = SplitMix64(seed: seed)
        }

        static var derivativeUnderlyings: [Underlying] {
            nseIndices + stocks + bseIndices + currencies(exchange: "CDS") + currencies(exchange: "BCD") + commodities
        }

        // MARK: The two sets

        /// Contracts that expired within the window before the reference day; built first so
        /// that, as in Kite, older contracts hold lower tokens.
        mutating func makeExpired() -> [Instrument] {
            let window = InstrumentFixture.adding(-Self.expiredWindowDays, to: referenceDay)..<referenceDay
            for underlying in Self.derivativeUnderlyings {
                addExpiredSeries(of: underlying, in: window)
            }
            return takeRows()
        }

        mutating func makeActive(count: Int) -> [Instrument] {
            addIndices()
            let fnoStocks = InstrumentFixture.stocks.map(\.name)
            let nseCompanies = addNSEEquities(fnoStocks: fnoStocks)
            for underlying in Self.derivativeUnderlyings {
                addActiveSeries(of: underlying)
            }
            let bseCount = count - rows.count
            precondition(bseCount > fnoStocks.count, "fixture derivatives exceed \(count) rows; narrow the chains")
            addBSEEquities(count: bseCount, fnoStocks: fnoStocks, nseCompanies: nseCompanies)
            var byExchange: [String: [Instrument]] = [:]
            for row in takeRows() { byExchange[row.exchange, default: []].append(row) }
            return Self.exchangeOrder.flatMap { byExchange[$0] ?? [] }
        }

        private mutating func takeRows() -> [Instrument] {
            defer { rows = [] }
            return rows
        }

        // MARK: Derivatives

        private mutating func addActiveSeries(of underlying: Underlying) {
            let monthlies = InstrumentFixture.monthlyExpiries(
                around: referenceDay, rule: underlying.rule, months: underlying.months, count: 80
            ).filter { $0 >= referenceDay }
            for expiry in monthlies.prefix(underlying.monthlyFutures) {
                addFuture(of: underlying, expiry: expiry)
            }
            guard underlying.hasOptions else { return }
            let monthlyDays = Set(monthlies)
            if underlying.weeklyCount > 0 {
                for expiry in weeklies(of: underlying, from: referenceDay, excluding: monthlyDays).prefix(underlying.weeklyCount) {
                    addOptionChain(of: underlying, expiry: expiry, code: InstrumentFixture.weeklyCode(expiry),
                                   strikesPerSide: underlying.weeklyStrikesPerSide)
                }
            }
            let optionMonths = Array(monthlies.prefix(underlying.monthlyOptions))
            for (rank, expiry) in optionMonths.enumerated() {
                // Farther months list fewer strikes, as exchanges do.
                addOptionChain(of: underlying, expiry: expiry, code: InstrumentFixture.monthlyCode(expiry),
                               strikesPerSide: underlying.strikesPerSide * (6 - rank) / 6)
            }
            guard underlying.quarterlyOptions > 0, let lastMonthly = optionMonths.last else { return }
            let quarterlies = monthlies.filter { $0 > lastMonthly && $0.components.month % 3 == 0 }
                .prefix(underlying.quarterlyOptions)
            for expiry in quarterlies {
                addOptionChain(of: underlying, expiry: expiry, code: InstrumentFixture.monthlyCode(expiry),
                               strikesPerSide: underlying.strikesPerSide / 3, stepMultiple: 2)
            }
            guard underlying.halfYearlyOptions, let lastQuarterly = quarterlies.last else { return }
            let horizon = InstrumentFixture.adding(5 * 365 + 1, to: referenceDay)
            for expiry in monthlies where expiry > lastQuarterly && expiry <= horizon && expiry.components.month % 6 == 0 {
                addOptionChain(of: underlying, expiry: expiry, code: InstrumentFixture.monthlyCode(expiry),
                               strikesPerSide: underlying.strikesPerSide / 6, stepMultiple: 4)
            }
        }

        private mutating func addExpiredSeries(of underlying: Underlying, in window: Range<CalendarDay>) {
            let monthlies = InstrumentFixture.monthlyExpiries(
                around: window.lowerBound, rule: underlying.rule, months: underlying.months, count: 4)
            for expiry in monthlies where window.contains(expiry) {
                addFuture(of: underlying, expiry: expiry)
                // Stock option chains of the expired monthly would be ~13,000 rows: left out.
                if underlying.hasOptions, underlying.monthlyOptions > 0, !InstrumentFixture.stocks.contains(underlying) {
                    addOptionChain(of: underlying, expiry: expiry, code: InstrumentFixture.monthlyCode(expiry),
                                   strikesPerSide: underlying.strikesPerSide)
                }
            }
            guard underlying.hasOptions, underlying.weeklyCount > 0 else { return }
            for expiry in weeklies(of: underlying, from: window.lowerBound, excluding: Set(monthlies))
                .prefix(while: { $0 < window.upperBound }) {
                addOptionChain(of: underlying, expiry: expiry, code: InstrumentFixture.weeklyCode(expiry),
                               strikesPerSide: underlying.weeklyStrikesPerSide)
            }
        }

        /// Weekly expiry days on or after `start` that are not monthly expiries.
        private func weeklies(of underlying: Underlying, from start: CalendarDay, excluding monthlies: Set<CalendarDay>)
            -> [CalendarDay]
        {
            let offset = (underlying.weeklyWeekday - InstrumentFixture.weekday(of: start) + 7) % 7
            let first = InstrumentFixture.adding(offset, to: start)
            return (0..<12).map { InstrumentFixture.adding(7 * $0, to: first) }.filter { !monthlies.contains($0) }
        }

        private mutating func addFuture(of underlying: Underlying, expiry: CalendarDay) {
            append(
                pool: TokenPool.derivatives(on: underlying.exchange),
                symbol: underlying.name + InstrumentFixture.monthlyCode(expiry) + "FUT", name: underlying.name,
                expiry: expiry, strike: 0, tickSize: underlying.futureTick, lotSize: underlying.lotSize,
                type: "FUT", segment: underlying.futureSegment, exchange: underlying.exchange)
        }

        /// CE and PE at each strike, consecutive tokens, centred on the money.
        private mutating func addOptionChain(
            of underlying: Underlying, expiry: CalendarDay, code: String, strikesPerSide: Int, stepMultiple: Double = 1
        ) {
            let step = underlying.strikeStep * stepMultiple
            let atTheMoney = (spot(of: underlying) / step).rounded() * step
            let jitter = strikesPerSide / 10
            let width = strikesPerSide + (jitter > 0 ? random.next(in: -jitter...jitter) : 0)
            let pool = TokenPool.derivatives(on: underlying.exchange)
            for offset in -width...width {
                let strike = atTheMoney + Double(offset) * step
                guard strike > 0 else { continue }
                let strikeText = KiteInstrumentCSV.format(strike)
                for type in ["CE", "PE"] {
                    append(
                        pool: pool, symbol: underlying.name + code + strikeText + type, name: underlying.name,
                        expiry: expiry, strike: strike, tickSize: underlying.optionTick, lotSize: underlying.lotSize,
                        type: type, segment: underlying.optionSegment, exchange: underlying.exchange)
                }
            }
        }

        /// The underlying's price today: its table price moved by up to ±3%, fixed per seed
        /// and name so that active and expired chains centre on the same money.
        private func spot(of underlying: Underlying) -> Double {
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
            for byte in underlying.name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            var generator = SplitMix64(seed: seed ^ hash)
            return underlying.spot * (1 + Double(generator.next(in: -300...300)) / 10_000)
        }

        // MARK: Cash segments

        private mutating func addIndices() {
            for name in InstrumentFixture.nseIndexNames {
                append(pool: .nseIndex, symbol: name, name: name, tickSize: 0.05, lotSize: 0, segment: "INDICES",
                       exchange: "NSE", isConsecutive: true)
            }
            for name in InstrumentFixture.bseIndexNames {
                append(pool: .bseIndex, symbol: name, name: name, tickSize: 0.05, lotSize: 0, segment: "INDICES",
                       exchange: "BSE", isConsecutive: true)
            }
        }

        /// The F&O stocks, then synthetic listings; returns the plain companies for BSE to dual-list.
        private mutating func addNSEEquities(fnoStocks: [String]) -> [(symbol: String, name: String, tick: Double)] {
            var companies: [(symbol: String, name: String, tick: Double)] = []
            for symbol in fnoStocks {
                append(pool: .nse, symbol: symbol, name: symbol + " LTD", tickSize: 0.05, lotSize: 1, segment: "NSE",
                       exchange: "NSE")
            }
            var remaining = Self.nseEquityCount - fnoStocks.count
            while remaining > 0 {
                let kind = random.next(in: 0...99)
                let listing: (symbol: String, name: String, tick: Double)
                if kind < 70 {
                    let company = makeCompany()
                    listing = (company.symbol, company.name, random.next(in: 0...4) == 0 ? 0.01 : 0.05)
                } else if kind < 84, !companies.isEmpty {
                    // Trade-for-trade and block-deal series of an existing company.
                    let company = companies[random.next(in: 0...(companies.count - 1))]
                    let series = ["-BE", "-BL", "-SM", "-ST"][random.next(in: 0...3)]
                    listing = (company.symbol + series, company.name, company.tick)
                } else if kind < 92 {
                    let company = makeCompany()
                    let symbol = random.next(in: 0...1) == 0 ? company.root + "ETF" : company.symbol + "BEES"
                    listing = (symbol, company.name.replacingOccurrences(of: " LTD", with: " ETF"), 0.01)
                } else {
                    let company = makeCompany()
                    let series = random.next(in: 1...9)
                    listing = (company.symbol + "-N\(series)", "\(makeCoupon())% \(company.name) SR\(series)", 0.01)
                }
                guard !symbols.contains("NSE|" + listing.symbol) else { continue }
                append(pool: .nse, symbol: listing.symbol, name: listing.name, tickSize: listing.tick, lotSize: 1,
                       segment: "NSE", exchange: "NSE")
                if kind < 70 { companies.append(listing) }
                remaining -= 1
            }
            return companies
        }

        private mutating func addBSEEquities(
            count: Int, fnoStocks: [String], nseCompanies: [(symbol: String, name: String, tick: Double)]
        ) {
            var remaining = count
            for symbol in fnoStocks {
                append(pool: .bse, symbol: symbol, name: symbol + " LTD", tickSize: 0.05, lotSize: 1, segment: "BSE",
                       exchange: "BSE")
                remaining -= 1
            }
            for company in nseCompanies where remaining > 0 && random.next(in: 0...1) == 0 {
                append(pool: .bse, symbol: company.symbol, name: company.name, tickSize: company.tick, lotSize: 1,
                       segment: "BSE", exchange: "BSE")
                remaining -= 1
            }
            while remaining > 0 {
                let company = makeCompany()
                let isDebt = random.next(in: 0...3) == 0
                let year = random.next(in: 27...36)
                let coupon = makeCoupon()
                let symbol = isDebt ? coupon.replacingOccurrences(of: ".", with: "") + company.symbol + "\(year)" : company.symbol
                guard !symbols.contains("BSE|" + symbol) else { continue }
                let name = isDebt ? "\(coupon)% \(company.name) 20\(year)" : company.name
                append(pool: isDebt ? .bseDebt : .bse, symbol: symbol, name: name,
                       tickSize: isDebt || random.next(in: 0...4) == 0 ? 0.01 : 0.05, lotSize: 1, segment: "BSE",
                       exchange: "BSE")
                remaining -= 1
            }
        }

        /// A plausible listed company: `SURYACHEM`, "SURYA CHEMICALS LTD"; sometimes two roots.
        private mutating func makeCompany() -> (symbol: String, name: String, root: String) {
            let roots = InstrumentFixture.companyRoots
            let sectors = InstrumentFixture.companySectors
            let root = roots[random.next(in: 0...(roots.count - 1))]
            let sector = sectors[random.next(in: 0...(sectors.count - 1))]
            if random.next(in: 0...2) == 0 {
                var second = root
                while second == root { second = roots[random.next(in: 0...(roots.count - 1))] }
                return (root + second.prefix(3) + sector.short, "\(root) \(second) \(sector.long) LTD", root + second.prefix(3))
            }
            return (root + sector.short, "\(root) \(sector.long) LTD", root)
        }

        /// A bond coupon such as `7.45`.
        private mutating func makeCoupon() -> String {
            let basisPoints = random.next(in: 130...199) * 5
            let fraction = basisPoints % 100
            return "\(basisPoints / 100).\(fraction < 10 ? "0" : "")\(fraction)"
        }

        // MARK: Rows and tokens

        private mutating func append(
            pool: TokenPool, symbol: String, name: String, expiry: CalendarDay? = nil, strike: Double = 0,
            tickSize: Double, lotSize: UInt32, type: String = "EQ", segment: String, exchange: String,
            isConsecutive: Bool = false
        ) {
            let exchangeToken = nextExchangeToken[pool] ?? pool.firstExchangeToken
            // Kite's exchange tokens run mostly consecutively with small gaps.
            let gap: UInt32 = isConsecutive || random.next(in: 0...7) != 0 ? 1 : UInt32(random.next(in: 2...4))
            nextExchangeToken[pool] = exchangeToken + gap
            symbols.insert(exchange + "|" + symbol)
            rows.append(Instrument(
                token: exchangeToken << 8 | pool.segmentCode, exchangeToken: exchangeToken, tradingSymbol: symbol,
                name: name, expiry: expiry, strike: strike, tickSize: tickSize, lotSize: lotSize,
                instrumentType: type, segment: segment, exchange: exchange))
        }
    }
}
