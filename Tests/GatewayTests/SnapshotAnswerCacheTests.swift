import Testing
@testable import Gateway

/// SnapshotAnswerCache: answers are found only for the snapshot they came from, and memory stays within bounds.
@Suite struct SnapshotAnswerCacheTests {
    static func make(maxEntries: Int = 4, maxBytes: Int = 100) -> SnapshotAnswerCache<String, String> {
        SnapshotAnswerCache(maxEntries: maxEntries, maxBytes: maxBytes)
    }

    @Test func anAnswerIsFoundOnlyForItsSnapshot() {
        let cache = Self.make()
        cache.store("a@7", byteCount: 1, for: "a", asOf: 7)
        #expect(cache.answer(for: "a", asOf: 7) == "a@7")
        #expect(cache.answer(for: "a", asOf: 8) == nil)
        #expect(cache.answer(for: "b", asOf: 7) == nil)
    }

    @Test func aNewerSnapshotDropsEveryOlderAnswer() {
        let cache = Self.make()
        cache.store("a@7", byteCount: 1, for: "a", asOf: 7)
        cache.store("b@7", byteCount: 1, for: "b", asOf: 7)
        cache.store("a@9", byteCount: 1, for: "a", asOf: 9)
        #expect(cache.count == 1)
        #expect(cache.answer(for: "a", asOf: 9) == "a@9")
        #expect(cache.answer(for: "b", asOf: 7) == nil)
    }

    @Test func anAnswerRenderedFromAnOlderSnapshotIsNotKept() {
        let cache = Self.make()
        cache.store("a@9", byteCount: 1, for: "a", asOf: 9)
        cache.store("b@7", byteCount: 1, for: "b", asOf: 7)
        #expect(cache.count == 1)
        #expect(cache.answer(for: "b", asOf: 7) == nil)
        #expect(cache.answer(for: "a", asOf: 9) == "a@9")
    }

    @Test func theOldestAnswersGoFirstWhenTheCountOrTheBytesRunOut() {
        let cache = Self.make(maxEntries: 3, maxBytes: 100)
        for key in ["a", "b", "c", "d"] { cache.store(key, byteCount: 10, for: key, asOf: 1) }
        #expect(cache.count == 3)
        #expect(cache.answer(for: "a", asOf: 1) == nil)
        cache.store("e", byteCount: 85, for: "e", asOf: 1)
        // 85 more bytes leave room for one 10-byte answer: the newest of the others.
        #expect(cache.answer(for: "e", asOf: 1) == "e")
        #expect(cache.answer(for: "d", asOf: 1) == "d")
        #expect(cache.answer(for: "b", asOf: 1) == nil && cache.answer(for: "c", asOf: 1) == nil)
    }

    @Test func anAnswerLargerThanTheWholeBudgetIsNotKept() {
        let cache = Self.make(maxBytes: 100)
        cache.store("a", byteCount: 10, for: "a", asOf: 1)
        cache.store("huge", byteCount: 101, for: "huge", asOf: 1)
        #expect(cache.answer(for: "huge", asOf: 1) == nil)
        #expect(cache.answer(for: "a", asOf: 1) == "a")
    }
}
