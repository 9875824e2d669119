import EventLog

/// The products the fixture lists: what trades where, at which price, lot and strike step.
extension InstrumentFixture {
    /// How a derivative underlying's contracts expire.
    enum ExpiryRule: Hashable, Sendable {
        /// The last `weekday` (0 = Monday) of each month: NSE Tuesday, BSE Thursday.
        case lastWeekdayOfMonth(Int)
        /// Two business days before the month's last business day (exchange currency derivatives).
        case currencyMonthly
        /// A fixed day of each listed month, moved back to a Friday when it falls on a weekend.
        case dayOfMonth(Int)
        /// The last business day of each listed month.
        case lastBusinessDay
    }

    /// A derivative underlying and the shape of its contract series.
    struct Underlying: Hashable, Sendable {
        var name: String
        var exchange: String
        var spot: Double
        var strikeStep: Double
        var lotSize: UInt32
        var futureTick: Double
        var optionTick: Double
        var rule: ExpiryRule
        /// Weekly option expiries listed besides the monthlies (`weeklyWeekday` is 0 = Monday).
        var weeklyCount = 0
        var weeklyWeekday = 0
        var monthlyFutures = 3
        var monthlyOptions = 3
        /// Months in which contracts exist (1…12); empty means every month.
        var months: Set<Int> = []
        /// Strikes each side of the money for the nearest option expiry; later ones taper.
        var strikesPerSide = 0
        var weeklyStrikesPerSide = 0
        /// Quarterly (Mar/Jun/Sep/Dec) then half-yearly (Jun/Dec, five years out) option series.
        var quarterlyOptions = 0
        var halfYearlyOptions = false

        var futureSegment: String { exchange + "-FUT" }
        var optionSegment: String { exchange + "-OPT" }
        var hasOptions: Bool { strikesPerSide > 0 }
    }

    /// NSE index derivatives: NIFTY alone has weeklies (Tuesday) since the 2024 one-weekly-per-exchange rule.
    static let nseIndices: [Underlying] = [
        Underlying(name: "NIFTY", exchange: "NFO", spot: 26_000, strikeStep: 50, lotSize: 65, futureTick: 0.1,
                   optionTick: 0.05, rule: .lastWeekdayOfMonth(1), weeklyCount: 4, weeklyWeekday: 1,
                   strikesPerSide: 90, weeklyStrikesPerSide: 60, quarterlyOptions: 3, halfYearlyOptions: true),
        Underlying(name: "BANKNIFTY", exchange: "NFO", spot: 59_000, strikeStep: 100, lotSize: 30, futureTick: 0.2,
                   optionTick: 0.05, rule: .lastWeekdayOfMonth(1), strikesPerSide: 75, quarterlyOptions: 3),
        Underlying(name: "FINNIFTY", exchange: "NFO", spot: 27_500, strikeStep: 50, lotSize: 60, futureTick: 0.1,
                   optionTick: 0.05, rule: .lastWeekdayOfMonth(1), strikesPerSide: 45),
        Underlying(name: "MIDCPNIFTY", exchange: "NFO", spot: 13_600, strikeStep: 25, lotSize: 120, futureTick: 0.05,
                   optionTick: 0.05, rule: .lastWeekdayOfMonth(1), strikesPerSide: 65),
        Underlying(name: "NIFTYNXT50", exchange: "NFO", spot: 70_000, strikeStep: 100, lotSize: 25, futureTick: 0.2,
                   optionTick: 0.05, rule: .lastWeekdayOfMonth(1), strikesPerSide: 90),
    ]

    /// BSE index derivatives: SENSEX weeklies expire on Thursday.
    static let bseIndices: [Underlying] = [
        Underlying(name: "SENSEX", exchange: "BFO", spot: 85_000, strikeStep: 100, lotSize: 20, futureTick: 0.05,
                   optionTick: 0.05, rule: .lastWeekdayOfMonth(3), weeklyCount: 4, weeklyWeekday: 3,
                   strikesPerSide: 200, weeklyStrikesPerSide: 250),
        Underlying(name: "BANKEX", exchange: "BFO", spot: 65_000, strikeStep: 100, lotSize: 30, futureTick: 0.05,
                   optionTick: 0.05, rule: .lastWeekdayOfMonth(3), strikesPerSide: 120),
        Underlying(name: "SENSEX50", exchange: "BFO", spot: 27_500, strikeStep: 50, lotSize: 60, futureTick: 0.05,
                   optionTick: 0.05, rule: .lastWeekdayOfMonth(3), strikesPerSide: 80),
    ]

    /// Exchange-traded currency pairs (INR legs), quoted to 0.0025.
    static func currencies(exchange: String) -> [Underlying] {
        let isNSE = exchange == "CDS"
        let pairs: [(String, Double)] = [("USDINR", 89), ("EURINR", 104), ("GBPINR", 119), ("JPYINR", 58.5)]
        return pairs.map { name, spot in
            let isDollar = name == "USDINR"
            return Underlying(
                name: name, exchange: exchange, spot: spot, strikeStep: 0.25, lotSize: 1, futureTick: 0.0025,
                optionTick: 0.0025, rule: .currencyMonthly, weeklyCount: isNSE && isDollar ? 4 : 0, weeklyWeekday: 4,
                monthlyFutures: isNSE ? 12 : 6, monthlyOptions: 3,
                strikesPerSide: isNSE ? (isDollar ? 28 : 20) : 14, weeklyStrikesPerSide: 18,
                quarterlyOptions: isNSE && isDollar ? 3 : 0)
        }
    }

    /// MCX commodities; the mini and micro contracts trade futures only.
    static let commodities: [Underlying] = {
        func make(
            _ name: String, _ spot: Double, tick: Double, lot: UInt32, step: Double = 0, optionTick: Double = 0.05,
            rule: ExpiryRule, months: Set<Int> = [], futures: Int = 4, options: Int = 0, strikes: Int = 0
        ) -> Underlying {
            Underlying(name: name, exchange: "MCX", spot: spot, strikeStep: step, lotSize: lot, futureTick: tick,
                       optionTick: optionTick, rule: rule, monthlyFutures: futures, monthlyOptions: options,
                       months: months, strikesPerSide: strikes)
        }
        let even: Set = [2, 4, 6, 8, 10, 12]
        let silverMonths: Set = [3, 5, 7, 9, 12]
        return [
            make("CRUDEOIL", 5_600, tick: 1, lot: 100, step: 50, optionTick: 0.1, rule: .dayOfMonth(19),
                 futures: 6, options: 3, strikes: 60),
            make("CRUDEOILM", 5_600, tick: 1, lot: 10, step: 50, optionTick: 0.1, rule: .dayOfMonth(19),
                 futures: 6, options: 2, strikes: 40),
            make("NATURALGAS", 320, tick: 0.1, lot: 1_250, step: 5, rule: .dayOfMonth(25), futures: 6, options: 3,
                 strikes: 60),
            make("NATGASMINI", 320, tick: 0.1, lot: 250, step: 5, rule: .dayOfMonth(25), futures: 6, options: 2,
                 strikes: 40),
            make("GOLD", 128_000, tick: 1, lot: 1, step: 500, optionTick: 0.5, rule: .dayOfMonth(5), months: even,
                 futures: 6, options: 2, strikes: 60),
            make("GOLDM", 128_000, tick: 1, lot: 10, step: 500, optionTick: 0.5, rule: .dayOfMonth(5), futures: 6,
                 options: 2, strikes: 40),
            make("GOLDGUINEA", 102_000, tick: 1, lot: 1, rule: .lastBusinessDay),
            make("GOLDPETAL", 12_800, tick: 1, lot: 1, rule: .lastBusinessDay),
            make("GOLDTEN", 128_000, tick: 1, lot: 1, rule: .lastBusinessDay),
            make("SILVER", 155_000, tick: 1, lot: 30, step: 1_000, optionTick: 0.5, rule: .dayOfMonth(5),
                 months: silverMonths, futures: 5, options: 2, strikes: 60),
            make("SILVERM", 155_000, tick: 1, lot: 5, step: 1_000, optionTick: 0.5, rule: .lastBusinessDay,
                 months: even, futures: 6, options: 2, strikes: 40),
            make("SILVERMIC", 155_000, tick: 1, lot: 1, rule: .lastBusinessDay, months: even, futures: 6),
            make("COPPER", 1_000, tick: 0.05, lot: 2_500, step: 5, rule: .lastBusinessDay, options: 2, strikes: 45),
            make("ZINC", 290, tick: 0.05, lot: 5_000, step: 2.5, rule: .lastBusinessDay, options: 2, strikes: 40),
            make("ZINCMINI", 290, tick: 0.05, lot: 1_000, rule: .lastBusinessDay),
            make("LEAD", 185, tick: 0.05, lot: 5_000, step: 2.5, rule: .lastBusinessDay, options: 2, strikes: 35),
            make("LEADMINI", 185, tick: 0.05, lot: 1_000, rule: .lastBusinessDay),
            make("ALUMINIUM", 255, tick: 0.05, lot: 5_000, step: 2.5, rule: .lastBusinessDay, options: 2,
                 strikes: 40),
            make("ALUMINI", 255, tick: 0.05, lot: 1_000, rule: .lastBusinessDay),
            make("MENTHAOIL", 950, tick: 0.1, lot: 360, rule: .lastBusinessDay, futures: 3),
            make("COTTONCNDY", 54_000, tick: 10, lot: 48, rule: .lastBusinessDay, futures: 3),
        ]
    }()

    /// NSE stock derivatives: lot size, spot and strike step per underlying, read off the
    /// real NFO dump of 2026-08 (`symbol:lot:spot:step`). Ticks follow from the price.
    static let stocks: [Underlying] = stockTable.split(whereSeparator: \.isWhitespace).map { entry in
        let parts = entry.split(separator: ":")
        let spot = Double(parts[2])!
        let futureTick = spot < 250 ? 0.01 : spot < 1_000 ? 0.05 : spot < 5_000 ? 0.1 : spot < 10_000 ? 0.5
            : spot < 20_000 ? 1 : 5
        return Underlying(
            name: String(parts[0]), exchange: "NFO", spot: spot, strikeStep: Double(parts[3])!,
            lotSize: UInt32(parts[1])!, futureTick: futureTick, optionTick: spot < 250 ? 0.01 : 0.05,
            rule: .lastWeekdayOfMonth(1), strikesPerSide: 25)
    }

    private static let stockTable = """
360ONE:500:1160:20 ABB:125:7600:100 ABCAPITAL:3100:415:5 ADANIENSOL:675:1640:20
ADANIENT:309:3050:50 ADANIGREEN:600:1390:20 ADANIPORTS:475:1710:20 ADANIPOWER:3550:215:5
ALKEM:125:5700:50 AMBER:100:7500:100 AMBUJACEM:1200:437.5:5 ANGELONE:2500:295:5
APLAPOLLO:350:1900:20 APOLLOHOSP:125:8900:100 ASHOKLEY:5000:170:2.5 ASIANPAINT:250:2770:20
ASTRAL:425:1460:20 AUBANK:1000:1080:20 AUROPHARMA:550:1600:20 AXISBANK:625:1270:20
BAJAJ-AUTO:75:11450:100 BAJAJFINSV:300:2010:20 BAJAJHLDNG:75:11250:100 BAJFINANCE:750:1095:10
BANDHANBNK:3600:185:5 BANKBARODA:2925:245:5 BANKINDIA:5200:140:2.5 BDL:425:1290:20
BEL:1425:392.5:5 BHARATFORG:500:2220:20 BHARTIARTL:475:1960:20 BHEL:2625:405:5 BIOCON:2500:430:5
BLUESTARCO:325:1610:20 BOSCHLTD:25:42750:500 BPCL:1975:322.5:5 BRITANNIA:125:5475:50
BSE:200:3500:100 CAMS:825:800:10 CANBK:6750:127.5:2.5 CDSL:475:1340:20 CGPOWER:850:860:20
CHOLAFIN:625:1860:20 CIPLA:425:1470:10 COALINDIA:1350:417.5:5 COCHINSHIP:400:1470:20
COFORGE:475:1740:20 COLPAL:275:2080:20 CONCOR:1250:517.5:5 CROMPTON:2150:262.5:5
CUMMINSIND:200:5500:100 DABUR:1250:425:5 DELHIVERY:2075:472.5:5 DIVISLAB:100:8250:100
DIXON:50:13875:250 DLF:950:660:10 DMART:150:3900:50 DRREDDY:625:1165:10 EICHERMOT:100:7950:100
ETERNAL:2425:302.5:5 FEDERALBNK:2500:360:5 FORCEMOT:25:18000:500 FORTIS:775:950:10
GAIL:3550:175:2.5 GLENMARK:375:2240:20 GMRAIRPORT:6975:105.5:1 GODFRYPHLP:275:2225:50
GODREJCP:500:1070:10 GODREJPROP:325:2120:20 GRASIM:250:3250:20 GVT&D:125:4200:100
HAL:150:4800:50 HAVELLS:500:1270:20 HCLTECH:400:1345:10 HDFCAMC:300:2600:50 HDFCBANK:650:760:10
HDFCLIFE:1100:547.5:5 HEROMOTOCO:150:5450:100 HINDALCO:700:1000:20 HINDPETRO:2025:390:10
HINDUNILVR:300:2110:20 HINDZINC:1225:575:10 HYUNDAI:275:2120:20 ICICIBANK:700:1440:10
ICICIGI:325:1680:20 ICICIPRULI:925:510:5 IDEA:71475:13.5:1 IDFCFIRSTB:9275:84:1
IEX:4350:131.25:2.5 INDHOTEL:1000:745:10 INDIANB:1000:855:10 INDIGO:150:5300:100
INDUSINDBK:700:1020:10 INDUSTOWER:1700:368.5:5 INFY:400:1140:20 INOXWIND:6400:77.5:2.5
IOC:4875:142.5:2.5 IREDA:4525:122.5:2.5 IRFC:5425:89.5:1 ITC:1725:285:2.5 JINDALSTEL:625:1100:20
JIOFIN:2350:252.5:2.5 JSWENERGY:1075:555:10 JSWSTEEL:675:1300:20 JUBLFOOD:1250:470:5
KALYANKJIL:1350:607.5:5 KAYNES:150:3750:50 KEI:175:5200:100 KFINTECH:575:940:20
KOTAKBANK:2000:395:5 KPITTECH:775:605:10 LAURUSLABS:850:1820:20 LICHSGFIN:1000:530:10
LICI:1400:407.5:5 LODHA:625:1270:20 LT:175:3975:50 LTF:2250:312.5:5 LTM:150:4550:50
LUPIN:425:2400:20 M&M:200:3350:50 MANAPPURAM:3000:360:5 MANKIND:250:2490:20 MARICO:1200:870:10
MARUTI:50:14050:100 MAXHEALTH:525:1095:10 MAZDOCK:225:2450:50 MCX:225:2650:50 MFSL:400:1520:20
MOTHERSON:6150:157.5:2.5 MOTILALOFS:775:860:20 MPHASIS:275:2400:50 MUTHOOTFIN:275:2950:50
NAM-INDIA:625:1180:20 NATIONALUM:1875:360:10 NAUKRI:550:1250:20 NBCC:6500:95:2.5
NESTLEIND:500:1465:10 NHPC:6950:78.5:1 NMDC:6750:85:1 NTPC:1500:347.5:5 NYKAA:3125:337.5:5
OBEROIRLTY:350:1820:20 OFSS:100:11450:100 OIL:1400:450:5 ONGC:2250:241.25:2.5
PAGEIND:20:40500:500 PATANJALI:1075:357.5:5 PAYTM:725:1380:20 PERSISTENT:125:5500:100
PETRONET:1900:282.5:5 PFC:1300:422.5:5 PGEL:950:630:10 PHOENIXLTD:350:1920:20
PIDILITIND:500:1640:20 PIIND:175:2775:50 PNB:8000:113:1 PNBHOUSING:650:1100:20
POLICYBZR:350:1630:20 POLYCAB:125:9100:100 POWERGRID:1900:277.5:2.5 POWERINDIA:25:32000:500
PREMIERENE:650:1010:20 PRESTIGE:450:1600:20 RADICO:150:4450:50 RBLBANK:3175:380:5
RECLTD:1575:365:5 RELIANCE:500:1310:10 RVNL:1925:230:5 SAIL:4700:171.25:2.5 SBICARD:800:660:10
SBILIFE:375:1890:20 SBIN:750:1050:10 SHREECEM:25:26500:250 SHRIRAMFIN:825:1090:20
SIEMENS:175:3850:50 SOLARINDS:50:18250:250 SONACOMS:1225:770:10 SRF:200:2650:50
SUNPHARMA:350:1980:20 SUPREMEIND:175:3475:50 SUZLON:12700:50:1 SWIGGY:1825:290:5
TATACONSUM:550:1095:10 TATAELXSI:125:3700:50 TATAPOWER:1450:380:5 TATASTEEL:2750:188.75:2.5
TCS:225:2340:20 TECHM:600:1610:20 TIINDIA:200:2750:50 TITAN:175:4950:50 TMPV:1600:340:5
TORNTPHARM:125:5050:50 TRENT:225:3075:50 TVSMOTOR:175:4250:50 ULTRACEMCO:50:11880:40
UNIONBANK:4425:176.25:2.5 UNITDSPR:400:1520:20 UNOMINDA:550:1220:20 UPL:1355:595:10
VBL:1275:445:10 VEDL:1150:270:5 VMM:4850:108.75:2.5 VOLTAS:375:1300:20 WAAREEENER:175:2650:50
WIPRO:3000:183.75:2.5 YESBANK:31100:23.5:1 ZYDUSLIFE:900:1120:10
"""

    /// NSE indices (token `exchange_token << 8 | 9`, NIFTY 50 first at 1001 → 256265).
    static let nseIndexNames = [
        "NIFTY 50", "NIFTY BANK", "NIFTY IT", "NIFTY FIN SERVICE", "NIFTY MID SELECT", "NIFTY NEXT 50",
        "INDIA VIX", "NIFTY 100", "NIFTY 200", "NIFTY 500", "NIFTY MIDCAP 50", "NIFTY MIDCAP 100",
        "NIFTY MIDCAP 150", "NIFTY SMLCAP 50", "NIFTY SMLCAP 100", "NIFTY SMLCAP 250", "NIFTY AUTO",
        "NIFTY PHARMA", "NIFTY FMCG", "NIFTY METAL", "NIFTY REALTY", "NIFTY ENERGY", "NIFTY INFRA", "NIFTY MEDIA",
        "NIFTY PSU BANK", "NIFTY PVT BANK", "NIFTY COMMODITIES", "NIFTY CONSUMPTION", "NIFTY CPSE", "NIFTY MNC",
        "NIFTY PSE", "NIFTY SERV SECTOR", "NIFTY DIV OPPS 50", "NIFTY GROWSECT 15", "NIFTY100 QUALTY30",
        "NIFTY50 VALUE 20", "NIFTY ALPHA 50", "NIFTY HEALTHCARE", "NIFTY OIL AND GAS", "NIFTY IND DIGITAL",
        "NIFTY MICROCAP250", "NIFTY TOTAL MKT", "NIFTY INDIA MFG", "NIFTY IND DEFENCE", "NIFTY EV",
        "NIFTY CHEMICALS", "NIFTY MIDSML 400", "NIFTY LARGEMID250", "NIFTY CONSR DURBL", "NIFTY HOUSING",
        "NIFTY IND TOURISM", "NIFTY CAPITAL MKT", "NIFTY RURAL", "NIFTY NONCYC CONS", "NIFTY TRANS LOGIS",
        "NIFTY100 LOWVOL30", "NIFTY200MOMENTM30", "NIFTY GS 10YR", "NIFTY GS 8 13YR", "NIFTY GS COMPSITE",
    ]

    /// BSE indices (SENSEX first at exchange token 1 → 265).
    static let bseIndexNames = [
        "SENSEX", "BANKEX", "SENSEX50", "BSE100", "BSE200", "BSE500", "BSE MIDCAP", "BSE SMALLCAP", "BSE IT",
        "BSE FMCG", "BSE AUTO", "BSE METAL", "BSE OIL & GAS", "BSE POWER", "BSE REALTY", "BSE CG", "BSE CD",
        "BSE HC", "BSE TECK", "BSE PSU", "BSE IPO", "BSE ENERGY", "BSE INFRA", "BSE CPSE", "BSE MFG",
    ]

    /// Words synthetic company names are built from, so symbols read like real listings.
    static let companyRoots = [
        "ADITYA", "AMAR", "ANAND", "APEX", "ARVIND", "ASHOK", "BHARAT", "BHAGWATI", "CENTURY", "CHAMBAL",
        "DEEPAK", "DELTA", "DHARANI", "EASTERN", "EMPIRE", "GANGA", "GANESH", "GAYATRI", "GLOBAL", "GOLDEN",
        "HIND", "HIMALAYA", "INDO", "JAI", "JAYA", "KALYAN", "KAMDHENU", "KAVERI", "KIRAN", "KRISHNA",
        "LAKSHMI", "MAHA", "MANGAL", "MEGHA", "MODERN", "NAV", "NILKANTH", "OM", "ORIENT", "PARAS",
        "PIONEER", "PRAKASH", "PREMIER", "RAJ", "RAMA", "RATNA", "SAGAR", "SARDA", "SHIVA", "SHREE",
        "SIDDHI", "SRI", "STANDARD", "SUN", "SUPREME", "SURYA", "SWASTIK", "TIRUPATI", "TRI", "UNITED",
        "UNIVERSAL", "USHA", "UTKARSH", "VARDHMAN", "VIJAY", "VISHNU", "VIKAS", "WESTERN", "YASH", "ZENITH",
    ]

    /// A sector word: the abbreviation symbols use, and the word names use.
    static let companySectors: [(short: String, long: String)] = [
        ("CHEM", "CHEMICALS"), ("PHARMA", "PHARMACEUTICALS"), ("STEEL", "STEEL"), ("TEX", "TEXTILES"),
        ("FIN", "FINANCE"), ("TECH", "TECHNOLOGIES"), ("POWER", "POWER"), ("AGRO", "AGRO INDUSTRIES"),
        ("INFRA", "INFRASTRUCTURE"), ("MOTORS", "MOTORS"), ("CEM", "CEMENTS"), ("FOODS", "FOODS"),
        ("PAPER", "PAPER MILLS"), ("PLAST", "PLASTICS"), ("SUGAR", "SUGARS"), ("TEA", "TEA"), ("LABS", "LABORATORIES"),
        ("CAP", "CAPITAL"), ("ENERGY", "ENERGY"), ("METAL", "METALS"), ("AUTO", "AUTO COMPONENTS"),
        ("GLASS", "GLASS WORKS"), ("CABLE", "CABLES"), ("PIPES", "PIPES"), ("SOFT", "SOFTWARE"),
        ("HOTEL", "HOTELS"), ("LOGI", "LOGISTICS"), ("SOLAR", "SOLAR"), ("SPIN", "SPINNING MILLS"),
        ("FERT", "FERTILISERS"), ("BUILD", "BUILDCON"), ("ELEC", "ELECTRICALS"), ("FORG", "FORGINGS"),
        ("MED", "MEDICARE"), ("PACK", "PACKAGING"), ("POLY", "POLYMERS"), ("ORGANIC", "ORGANICS"),
        ("GEMS", "GEMS AND JEWELLERY"), ("SHIP", "SHIPPING"), ("VENT", "VENTURES"),
    ]
}
