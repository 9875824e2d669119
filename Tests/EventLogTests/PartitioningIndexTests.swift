import EventLog
import Testing

@Suite struct PartitioningIndexTests {
    @Test func emptyAndOneSidedCollections() {
        #expect([Int]().partitioningIndex { $0 >= 0 } == 0)
        #expect([1, 2, 3].partitioningIndex { $0 >= 0 } == 0)
        #expect([1, 2, 3].partitioningIndex { $0 >= 9 } == 3)
    }

    @Test func lowerAndUpperBoundsWithRepeats() {
        let sorted = [1, 3, 3, 3, 7]
        #expect(sorted.partitioningIndex { $0 >= 3 } == 1)
        #expect(sorted.partitioningIndex { $0 > 3 } == 4)
        #expect(sorted.partitioningIndex { $0 >= 4 } == 4)
        #expect(sorted.partitioningIndex { $0 > 7 } == 5)
    }

    /// Against a linear search over seeded random sorted arrays, every length up to 40 and every bound.
    @Test func agreesWithALinearSearch() {
        var rng = SplitMix64(seed: 11)
        for length in 0...40 {
            let values = (0..<length).map { _ in Int(rng.next() % 20) }.sorted()
            for bound in -1...21 {
                let expected = values.firstIndex { $0 >= bound } ?? values.endIndex
                #expect(values.partitioningIndex { $0 >= bound } == expected, "length \(length), bound \(bound)")
            }
        }
    }

    /// A slice answers with the base collection's indexes, within the slice.
    @Test func slicesKeepTheirIndexes() {
        let values = [0, 10, 20, 30, 40, 50]
        #expect(values[2..<5].partitioningIndex { $0 >= 35 } == 4)
        #expect(values[2..<5].partitioningIndex { $0 >= 0 } == 2)
        #expect(values[2..<5].partitioningIndex { $0 >= 99 } == 5)
    }
}
