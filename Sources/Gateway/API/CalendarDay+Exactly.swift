import EventLog

extension CalendarDay {
    /// The day written exactly as `YYYY-MM-DD`, digits in those places, as the OpenAPI schemas' date pattern says.
    ///
    /// Digits are checked first: `init(iso:)` reads each part with `Int`, which would also take `+1` for a month.
    init?(exactly text: some StringProtocol) {
        let isDigitShape = text.utf8.count == 10 && text.utf8.enumerated().allSatisfy { index, byte in
            index == 4 || index == 7 ? byte == UInt8(ascii: "-") : (48...57).contains(byte)
        }
        guard isDigitShape else { return nil }
        self.init(iso: text)
    }
}
