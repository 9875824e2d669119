extension RandomAccessCollection {
    /// The index of the first element for which `belongsAfter` is true, when every such element
    /// comes after every element for which it is false (a sorted collection split at a bound);
    /// `endIndex` when there is none. A binary search: about log₂(count) calls of `belongsAfter`.
    ///
    /// `sorted.partitioningIndex { $0 >= x }` is where `x` is or would be inserted (a lower bound);
    /// `{ $0 > x }` is one past its last occurrence (an upper bound).
    @inlinable
    public func partitioningIndex(where belongsAfter: (Element) throws -> Bool) rethrows -> Index {
        var low = startIndex
        var remaining = count
        while remaining > 0 {
            let half = remaining / 2
            let middle = index(low, offsetBy: half)
            if try belongsAfter(self[middle]) {
                remaining = half
            } else {
                low = index(after: middle)
                remaining -= half + 1
            }
        }
        return low
    }
}
