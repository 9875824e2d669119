/// A fixed-size set of row positions, one bit each, for filter intersection and counting.
struct Bitset: Hashable, Sendable {
    private(set) var words: [UInt64]
    let count: Int

    init(count: Int) {
        self.count = count
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    /// Every position in `0..<count`.
    static func full(count: Int) -> Bitset {
        var set = Bitset(count: count)
        for w in set.words.indices { set.words[w] = ~0 }
        if count % 64 != 0, !set.words.isEmpty { set.words[set.words.count - 1] = (1 << UInt64(count % 64)) - 1 }
        return set
    }

    @inline(__always) mutating func insert(_ position: Int) {
        words[position >> 6] |= 1 << UInt64(position & 63)
    }

    @inline(__always) func contains(_ position: Int) -> Bool {
        words[position >> 6] & (1 << UInt64(position & 63)) != 0
    }

    mutating func formIntersection(_ other: Bitset) {
        words.withUnsafeMutableBufferPointer { mine in
            other.words.withUnsafeBufferPointer { theirs in
                for w in 0..<mine.count { mine[w] &= theirs[w] }
            }
        }
    }

    mutating func subtract(_ other: Bitset) {
        words.withUnsafeMutableBufferPointer { mine in
            other.words.withUnsafeBufferPointer { theirs in
                for w in 0..<mine.count { mine[w] &= ~theirs[w] }
            }
        }
    }

    mutating func formUnion(_ other: Bitset) {
        words.withUnsafeMutableBufferPointer { mine in
            other.words.withUnsafeBufferPointer { theirs in
                for w in 0..<mine.count { mine[w] |= theirs[w] }
            }
        }
    }

    mutating func removeAll() {
        words.withUnsafeMutableBufferPointer { mine in
            for w in 0..<mine.count { mine[w] = 0 }
        }
    }

    /// How many positions are in both sets.
    func intersectionCount(_ other: Bitset) -> Int {
        words.withUnsafeBufferPointer { mine in
            other.words.withUnsafeBufferPointer { theirs in
                var total = 0
                for w in 0..<mine.count { total &+= (mine[w] & theirs[w]).nonzeroBitCount }
                return total
            }
        }
    }

    /// How many positions are in the set.
    var cardinality: Int {
        words.withUnsafeBufferPointer { words in
            var total = 0
            for word in words { total &+= word.nonzeroBitCount }
            return total
        }
    }

    /// Calls `body` with each position from `start` upward until it returns false.
    func forEach(from start: Int, _ body: (Int) -> Bool) {
        guard start < count else { return }
        words.withUnsafeBufferPointer { words in
            var w = start >> 6
            var word = words[w] & (~0 << UInt64(start & 63))
            while true {
                while word != 0 {
                    let bit = word.trailingZeroBitCount
                    if !body(w << 6 | bit) { return }
                    word &= word &- 1
                }
                w += 1
                if w == words.count { return }
                word = words[w]
            }
        }
    }
}
