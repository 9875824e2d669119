/// A KiteTicker streaming mode, named as clients send it in `{"a":"mode","v":[mode,[tokens]]}`:
/// the same three modes `/ws/v2` uses — `ltp` (8-byte packets), `quote` (44 bytes; 28 for
/// indices; what a plain subscribe streams) and `full` (184 bytes; 32 for indices).
public typealias KiteMode = StreamMode
