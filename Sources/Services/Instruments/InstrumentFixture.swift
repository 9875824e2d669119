import EventLog

/// A deterministic, realistic Kite-format instrument master for demos, tests and benchmarks.
///
/// `generate(seed:referenceDay:)` lists exactly 96,390 active instruments as of the reference
/// day (default 2026-11-27, never the clock), shaped like Kite's daily dump:
///
/// | exchange | what | rows (seed 1) |
/// |---|---|---|
/// | NSE, BSE (`INDICES`) | 60 NSE and 25 BSE indices, `EQ`, lot 0 | 85 |
/// | NSE | the 207 F&O stocks, then synthetic companies, `-BE/-BL/-SM/-ST` series, ETFs, bonds | 9,000 |
/// | NFO | NIFTY (4 Tuesday weeklies, 3 monthlies, 3 quarterlies, half-yearlies to five years out), BANKNIFTY (+3 quarterlies), FINNIFTY, MIDCPNIFTY, NIFTYNXT50 and 207 stocks: 3 monthly futures and option chains each | ~58,100 |
/// | BFO | SENSEX (4 Thursday weeklies + monthlies), BANKEX, SENSEX50 | ~7,650 |
/// | CDS, BCD | USDINR (weeklies on CDS), EURINR, GBPINR, JPYINR; tick 0.0025, lot 1 | ~1,360 / ~580 |
/// | MCX | 21 commodities' futures; options on the 11 main ones | ~4,600 |
/// | BSE | the F&O stocks, about half the NSE companies dual-listed, BSE-only companies and debt: whatever makes the total exact | ~15,000 |
///
/// Options are about three quarters of the rows, as in the real master. Tokens follow Kite:
/// `instrument_token = exchange_token << 8 | segment code` (nse 1, nfo 2, cds 3, bse 4, bfo 5,
/// bcd 6, mcx 7, indices 9); option chains take consecutive exchange tokens with occasional
/// gaps. Trading symbols are unique per exchange and written the Kite way: `NIFTY26DECFUT`,
/// `NIFTY26DEC24500CE`, weekly `NIFTY26D0124500CE` (month as 1–9, O, N, D), `USDINR26DEC88.25PE`.
/// Spots, chain widths and company names come from a `SplitMix64` seeded with `seed`, so the
/// same seed and day always give the same file.
///
/// `expired` holds the few thousand contracts (~6,000 for seed 1) that expired in the 14 days
/// before the reference day: index, currency and MCX options and every future (the stock
/// option chains of the expired monthly are left out to keep it small). A demo imports
/// active + expired, then active alone, so the log holds delistings. Expiry rules are the
/// exchanges' (NSE last Tuesday, BSE last Thursday, currency two business days before month
/// end, MCX per commodity); exchange holidays are ignored. Stateless; call from any thread.
public enum InstrumentFixture {
    /// How many active instruments every generated master has.
    public static let activeCount = 96_390
    /// The day the fixture is "as of" unless told otherwise.
    public static let defaultReferenceDay = CalendarDay(year: 2026, month: 11, day: 27)

    /// A generated master: what trades on the reference day, and what expired just before it.
    public struct Output: Hashable, Sendable {
        public var seed: UInt64
        public var referenceDay: CalendarDay
        /// Exactly `activeCount` instruments, grouped by exchange.
        public var active: [Instrument]
        /// Contracts whose expiry is within the 14 days before `referenceDay`.
        public var expired: [Instrument]
    }

    /// Generates the master for `seed` as of `referenceDay`.
    public static func generate(seed: UInt64 = 1, referenceDay: CalendarDay = defaultReferenceDay) -> Output {
        var builder = Builder(seed: seed, referenceDay: referenceDay)
        let expired = builder.makeExpired()
        let active = builder.makeActive(count: activeCount)
        return Output(seed: seed, referenceDay: referenceDay, active: active, expired: expired)
    }

    /// Writes the active set as a raw-API-form CSV (`tape fixtures instruments --seed 1`).
    public static func writeCSV(
        seed: UInt64 = 1, referenceDay: CalendarDay = defaultReferenceDay, to path: String
    ) throws(InstrumentCSVError) {
        try KiteInstrumentCSV.write(generate(seed: seed, referenceDay: referenceDay).active, toFile: path)
    }

    /// Writes the expired set as a raw-API-form CSV, to import before the active one.
    public static func writeExpiredCSV(
        seed: UInt64 = 1, referenceDay: CalendarDay = defaultReferenceDay, to path: String
    ) throws(InstrumentCSVError) {
        try KiteInstrumentCSV.write(generate(seed: seed, referenceDay: referenceDay).expired, toFile: path)
    }
}
