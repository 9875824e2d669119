/// A KiteTicker streaming mode, named as clients send it in `{"a":"mode","v":[mode,[tokens]]}`; a value type, usable from any thread.
public enum KiteMode: String, CaseIterable, Hashable, Sendable {
    /// Last traded price only (8-byte packets).
    case ltp
    /// Prices, quantities and OHLC without depth (44 bytes; 28 for indices). A plain subscribe streams this mode.
    case quote
    /// Quote fields plus times, open interest and five levels of depth (184 bytes; 32 for indices).
    case full
}
