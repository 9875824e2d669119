import EventLog

/// The text-search state of the catalog, keyed by slot (a dense, never-reused number the
/// catalog gives each token on first listing), so that it can be patched per change instead
/// of rebuilt per snapshot.
///
/// A value type: the projection mutates its copy on the runner thread, and each published
/// snapshot shares the storage until the next change copies it (copy-on-write).
struct TextIndex: Sendable {
    /// Per slot: lowercased trading symbol, a 0 byte, lowercased name. A query never holds a 0
    /// byte, so no match spans the two fields.
    private(set) var texts: [[UInt8]] = []
    /// n-gram (n = 1, 2, 3; see `gramKey`) → slots whose text holds it, ascending. Grams up to
    /// three bytes answer queries up to three bytes exactly; longer queries intersect trigrams.
    private(set) var postings: [UInt32: [Int32]] = [:]
    /// Slots whose symbol holds a lowercase ASCII letter or a non-ASCII byte. Every other symbol
    /// starts with a lowercased needle exactly when it starts with the needle's ASCII uppercase,
    /// so its prefix matches are one contiguous range of the (byte-ordered) catalog.
    private(set) var irregularSymbols: Set<Int32> = []
    /// Lowercased trading symbol → slots, for the exact-match tier of search.
    private(set) var slotsBySymbol: [[UInt8]: [Int32]] = [:]

    static let separator: UInt8 = 0

    static func text(symbol: String, name: String) -> [UInt8] {
        Array(symbol.lowercased().utf8) + [separator] + Array(name.lowercased().utf8)
    }

    /// Sets the text of `slot` (appending a slot when `slot == texts.count`).
    mutating func set(slot: Int32, symbol: String, name: String) {
        let new = Self.text(symbol: symbol, name: name)
        let index = Int(slot)
        if index == texts.count {
            texts.append([])
        } else if texts[index] == new {
            return
        }
        let old = texts[index]
        let oldGrams = Self.grams(of: old), newGrams = Self.grams(of: new)
        for gram in oldGrams where !newGrams.contains(gram) {
            Self.remove(slot, from: &postings[gram, default: []])
            if postings[gram]?.isEmpty == true { postings[gram] = nil }
        }
        for gram in newGrams where !oldGrams.contains(gram) {
            Self.insert(slot, into: &postings[gram, default: []])
        }
        if !old.isEmpty {
            let oldSymbol = Array(old.prefix { $0 != Self.separator })
            Self.remove(slot, from: &slotsBySymbol[oldSymbol, default: []])
            if slotsBySymbol[oldSymbol]?.isEmpty == true { slotsBySymbol[oldSymbol] = nil }
        }
        Self.insert(slot, into: &slotsBySymbol[Array(new.prefix { $0 != Self.separator }), default: []])
        texts[index] = new
        if symbol.utf8.allSatisfy({ $0 < 0x80 && !(0x61...0x7A).contains($0) }) {
            irregularSymbols.remove(slot)
        } else {
            irregularSymbols.insert(slot)
        }
    }

    /// ASCII uppercase of a lowercased needle: the form regular symbols are stored in.
    static func asciiUppercased(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }
    }

    /// Slots whose symbol or name contains `needle` (already lowercased), ascending.
    func slots(containing needle: [UInt8]) -> [Int32] {
        let (candidates, isExact) = candidates(containing: needle)
        return isExact ? candidates : candidates.filter { Self.contains(texts[Int($0)], needle) }
    }

    /// A superset of the slots containing `needle`, ascending, and whether it is exact. Up to
    /// three bytes it is exact (one gram's list); longer needles intersect their trigrams, and
    /// holding every trigram does not mean holding them in a row, so the caller must verify.
    func candidates(containing needle: [UInt8]) -> (slots: [Int32], isExact: Bool) {
        guard !needle.isEmpty, !needle.contains(Self.separator) else { return ([], true) }
        if needle.count <= 3 { return (postings[Self.gramKey(needle[...])] ?? [], true) }
        var lists: [[Int32]] = []
        for gram in Set((0...(needle.count - 3)).map { Self.gramKey(needle[$0..<($0 + 3)]) }) {
            guard let list = postings[gram] else { return ([], true) }
            lists.append(list)
        }
        lists.sort { $0.count < $1.count }
        var candidates = lists[0]
        for list in lists.dropFirst() {
            candidates = Self.intersect(candidates, list)
            if candidates.isEmpty { return ([], true) }
        }
        return (candidates, false)
    }

    func slots(withSymbol symbol: [UInt8]) -> [Int32] { slotsBySymbol[symbol] ?? [] }

    // MARK: helpers

    /// The length in the top byte, then up to three bytes: distinct keys for "a", "ab", "abc".
    @inline(__always) static func gramKey(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var key = UInt32(bytes.count) << 24
        for (i, byte) in bytes.enumerated() { key |= UInt32(byte) << UInt32(16 - 8 * i) }
        return key
    }

    /// Every 1-, 2- and 3-byte window of `bytes` that does not cross the field separator.
    static func grams(of bytes: [UInt8]) -> Set<UInt32> {
        var grams = Set<UInt32>()
        for start in bytes.indices where bytes[start] != separator {
            for length in 1...3 {
                let end = start + length
                guard end <= bytes.count, bytes[end - 1] != separator else { break }
                grams.insert(gramKey(bytes[start..<end]))
            }
        }
        return grams
    }

    /// Whether `needle` occurs in `haystack` (an empty needle occurs everywhere).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        let n = needle.count, h = haystack.count
        guard n > 0 else { return true }
        guard n <= h else { return false }
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                let first = pin[0]
                var i = 0
                while i <= h - n {
                    if hay[i] == first {
                        var k = 1
                        while k < n && hay[i + k] == pin[k] { k += 1 }
                        if k == n { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    /// Whether `haystack` starts with `needle`.
    static func hasPrefix(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        haystack.count >= needle.count && haystack.prefix(needle.count).elementsEqual(needle)
    }

    private static func insert(_ slot: Int32, into list: inout [Int32]) {
        // Loading appends slots in ascending order: keep that the fast path.
        if list.last.map({ $0 < slot }) ?? true { list.append(slot); return }
        let at = lowerBound(slot, in: list)
        if at < list.count && list[at] == slot { return }
        list.insert(slot, at: at)
    }

    private static func remove(_ slot: Int32, from list: inout [Int32]) {
        let at = lowerBound(slot, in: list)
        if at < list.count && list[at] == slot { list.remove(at: at) }
    }

    private static func lowerBound(_ value: Int32, in list: [Int32]) -> Int {
        list.partitioningIndex { $0 >= value }
    }

    /// Sorted intersection. When one side is much smaller, gallops through the other
    /// (exponential then binary search) instead of walking it: long queries start from their
    /// rarest trigram, and the candidates shrink with every list.
    static func intersect(_ a: [Int32], _ b: [Int32]) -> [Int32] {
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        var out: [Int32] = []
        out.reserveCapacity(small.count)
        if small.count * 16 < large.count {
            large.withUnsafeBufferPointer { large in
                var low = 0
                for value in small {
                    var step = 1, high = low
                    while high < large.count && large[high] < value { low = high + 1; high += step; step *= 2 }
                    low = large[low..<min(high, large.count)].partitioningIndex { $0 >= value }
                    if low == large.count { break }
                    if large[low] == value { out.append(value) }
                }
            }
            return out
        }
        var i = 0, j = 0
        while i < small.count && j < large.count {
            if small[i] < large[j] { i += 1 } else if small[i] > large[j] { j += 1 } else { out.append(small[i]); i += 1; j += 1 }
        }
        return out
    }
}
