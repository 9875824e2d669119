/// One KiteTicker market-data packet: a quote in the mode it streams in. Its length on the wire is how
/// clients tell the mode, and indices use shorter quote and full packets. A value type, usable from any thread.
public struct KitePacket: Hashable, Sendable {
    /// The mode the packet streams in; with the token's segment it sets the layout.
    public var mode: KiteMode
    /// The values; fields the mode (or an index packet) does not carry are not encoded.
    public var quote: KiteQuote

    /// Makes a packet of `quote` in `mode`.
    public init(_ quote: KiteQuote, mode: KiteMode) {
        self.quote = quote
        self.mode = mode
    }

    /// The packet's length on the wire: 8, 28, 32, 44 or 184 bytes.
    public var length: Int { layout.rawValue }

    var layout: Layout { Layout(mode: mode, isIndex: quote.segment.isIndex) }

    /// The five packet shapes, by their length in bytes (kite.md "Ticker WebSocket").
    enum Layout: Int {
        case ltp = 8
        case indexQuote = 28
        case indexFull = 32
        case quote = 44
        case full = 184

        init(mode: KiteMode, isIndex: Bool) {
            switch mode {
            case .ltp: self = .ltp
            case .quote: self = isIndex ? .indexQuote : .quote
            case .full: self = isIndex ? .indexFull : .full
            }
        }

        /// The mode a client reads from the length alone, as the official clients do.
        var mode: KiteMode {
            switch self {
            case .ltp: .ltp
            case .indexQuote, .quote: .quote
            case .indexFull, .full: .full
            }
        }
    }
}
