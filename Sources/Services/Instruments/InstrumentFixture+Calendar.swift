import EventLog

/// Expiry dates and the date codes Kite puts in trading symbols. Exchange holidays are
/// ignored: the fixture only needs plausible dates, not the exchange calendar.
extension InstrumentFixture {
    /// 0 = Monday … 6 = Sunday (1970-01-01, day 0, was a Thursday).
    static func weekday(of day: CalendarDay) -> Int {
        Int(((day.rawValue % 7) + 7 + 3) % 7)
    }

    static func adding(_ days: Int, to day: CalendarDay) -> CalendarDay {
        CalendarDay(rawValue: day.rawValue + Int32(days))
    }

    static func isBusinessDay(_ day: CalendarDay) -> Bool { weekday(of: day) < 5 }

    static func lastDay(year: Int, month: Int) -> CalendarDay {
        adding(-1, to: month == 12 ? CalendarDay(year: year + 1, month: 1, day: 1) : CalendarDay(year: year, month: month + 1, day: 1))
    }

    /// The expiry in `(year, month)` under `rule`.
    static func expiry(year: Int, month: Int, rule: ExpiryRule) -> CalendarDay {
        switch rule {
        case .lastWeekdayOfMonth(let weekday):
            let last = lastDay(year: year, month: month)
            return adding(-((self.weekday(of: last) - weekday + 7) % 7), to: last)
        case .currencyMonthly:
            var day = lastDay(year: year, month: month)
            while !isBusinessDay(day) { day = adding(-1, to: day) }
            for _ in 0..<2 {
                day = adding(-1, to: day)
                while !isBusinessDay(day) { day = adding(-1, to: day) }
            }
            return day
        case .dayOfMonth(let dayOfMonth):
            var day = CalendarDay(year: year, month: month, day: dayOfMonth)
            while !isBusinessDay(day) { day = adding(-1, to: day) }
            return day
        case .lastBusinessDay:
            var day = lastDay(year: year, month: month)
            while !isBusinessDay(day) { day = adding(-1, to: day) }
            return day
        }
    }

    /// Monthly expiries of the listed months, in order, starting with the month before `day`.
    static func monthlyExpiries(around day: CalendarDay, rule: ExpiryRule, months: Set<Int>, count: Int) -> [CalendarDay] {
        var (year, month, _) = day.components
        (year, month) = month == 1 ? (year - 1, 12) : (year, month - 1)
        var result: [CalendarDay] = []
        while result.count < count {
            if months.isEmpty || months.contains(month) { result.append(expiry(year: year, month: month, rule: rule)) }
            (year, month) = month == 12 ? (year + 1, 1) : (year, month + 1)
        }
        return result
    }

    /// `26DEC`: Kite's code for a monthly contract.
    static func monthlyCode(_ day: CalendarDay) -> String {
        let (year, month, _) = day.components
        return twoDigits(year % 100) + monthNames[month - 1]
    }

    /// `26D01`: Kite's code for a weekly contract (month as 1–9, O, N, D; then the day).
    static func weeklyCode(_ day: CalendarDay) -> String {
        let (year, month, dayOfMonth) = day.components
        return twoDigits(year % 100) + monthLetters[month - 1] + twoDigits(dayOfMonth)
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    private static let monthLetters = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "O", "N", "D"]
}
