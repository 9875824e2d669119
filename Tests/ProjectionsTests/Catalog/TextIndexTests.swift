import EventLog
import Testing
@testable import Projections

@Suite struct TextIndexTests {
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func intersectionEqualsSetIntersectionWhateverTheSizes(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<200 {
            let a = Set((0..<random.index(40)).map { _ in Int32(random.index(3_000)) }).sorted()
            let b = Set((0..<random.index(2_000)).map { _ in Int32(random.index(3_000)) }).sorted()
            let expected = Set(a).intersection(b).sorted()
            #expect(TextIndex.intersect(a, b) == expected)
            #expect(TextIndex.intersect(b, a) == expected)
        }
    }

    @Test func shortQueriesAreAnsweredExactlyByGramsAndNeverSpanTheTwoFields() {
        var index = TextIndex()
        index.set(slot: 0, symbol: "INFY", name: "INFOSYS")
        index.set(slot: 1, symbol: "TCS", name: "TATA CONSULTANCY")
        #expect(index.slots(containing: Array("s".utf8)) == [0, 1])
        #expect(index.slots(containing: Array("yi".utf8)) == [])   // "infy" + "infosys" would span
        #expect(index.slots(containing: Array("nfo".utf8)) == [0])
        #expect(index.slots(containing: Array("consult".utf8)) == [1])
        index.set(slot: 1, symbol: "TCS", name: "TCS LTD")
        #expect(index.slots(containing: Array("consult".utf8)) == [])
        #expect(index.slots(containing: Array("ltd".utf8)) == [1])
        #expect(index.slots(withSymbol: Array("tcs".utf8)) == [1])
    }
}
