import Testing
@testable import Gateway

@Suite struct UTF8ValidatorTests {
    static let utf8Cases: [([UInt8], Bool)] = [
        (.ascii("plain"), true),
        ([0xC3, 0xA9], true),
        ([0xF0, 0x9F, 0x98, 0x80], true),
        ([0xF4, 0x8F, 0xBF, 0xBF], true),
        ([0xC0, 0x80], false),
        ([0xE0, 0x80, 0x80], false),
        ([0xED, 0xA0, 0x80], false),
        ([0xF4, 0x90, 0x80, 0x80], false),
        ([0xF5], false),
        ([0x80], false),
        ([0xC3, 0x28], false),
    ]

    @Test(arguments: utf8Cases)
    func utf8ValidatorAgreesWithTheStandardLibrary(bytes: [UInt8], isValid: Bool) {
        var validator = UTF8Validator()
        let accepted = validator.consume(bytes) && validator.isAtCharacterBoundary
        #expect(accepted == isValid)
        #expect((String(validating: bytes, as: UTF8.self) != nil) == isValid)
    }

    @Test func utf8ValidatorMatchesTheStandardLibraryOnRandomInput() {
        var random = SeededGenerator(seed: 7)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<8, using: &random)).map { _ in UInt8.random(in: 0x7E...0xF5, using: &random) }
            var validator = UTF8Validator()
            // Feed in two pieces to exercise state carried across fragments.
            let split = Int.random(in: 0...bytes.count, using: &random)
            let accepted = validator.consume(bytes[..<split]) && validator.consume(bytes[split...]) && validator.isAtCharacterBoundary
            #expect(accepted == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }
}
