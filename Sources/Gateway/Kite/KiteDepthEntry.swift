/// One level of market depth as a full-mode packet carries it; a value type, usable from any thread.
public struct KiteDepthEntry: Hashable, Sendable {
    /// Quantity bid or offered at this price.
    public var quantity: UInt32
    /// The price in rupees (or the segment's currency unit).
    public var price: Double
    /// How many orders make up the quantity.
    public var orders: UInt16

    /// Makes a depth level.
    public init(quantity: UInt32 = 0, price: Double = 0, orders: UInt16 = 0) {
        self.quantity = quantity
        self.price = price
        self.orders = orders
    }
}
