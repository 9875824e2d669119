import EventLog
import Foundation
import Testing

@Suite struct JSONTextTests {
    @Test func nestedObjectsAndArraysGetTheirCommasAndNoOthers() {
        var json = JSONText()
        json.beginObject()
        json.key("a"); json.value(1)
        json.key("b"); json.beginArray(); json.value(2); json.beginObject(); json.endObject(); json.beginArray(); json.endArray(); json.value("x"); json.endArray()
        json.key("c"); json.beginObject(); json.key("d"); json.null(); json.endObject()
        json.key("e"); json.value(true)
        json.endObject()
        json.newline()
        json.beginArray(); json.value(-3); json.endArray()
        #expect(json.string == #"{"a":1,"b":[2,{},[],"x"],"c":{"d":null},"e":true}"# + "\n[-3]")
    }

    @Test(arguments: [
        (152_345, 2, "1523.45"), (5, 2, "0.05"), (-5, 2, "-0.05"), (100, 2, "1"), (1_000_001, 4, "100.0001"),
        (120, 3, "0.12"), (0, 2, "0"), (7, 0, "7"), (1_764_215_100_000_001_000, 9, "1764215100.000001"),
        (Int64.max, 7, "922337203685.4775807"), (Int64.min + 1, 2, "-92233720368547758.07"),
    ] as [(Int64, UInt8, String)])
    func decimalsAreExactWithLeadingZerosKeptAndTrailingOnesDropped(units: Int64, decimals: UInt8, text: String) {
        var json = JSONText()
        json.decimal(units, decimals: decimals)
        #expect(json.string == text)
    }
}
