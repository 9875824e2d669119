import Foundation
import Testing
@testable import Gateway

/// The real KiteTicker packets in the shared data folder that sits beside the clone, and the values the official
/// clients decoded from them (shared/data/kite/README.md says where each came from).
enum KiteTickerSamples {
    /// This file is …/Tests/GatewayTests/Kite/KiteTickerSamples.swift; the clone's parent folder holds `shared/`.
    static let directory = URL(fileURLWithPath: "../../../../shared/data/kite/ticker", relativeTo: URL(fileURLWithPath: #filePath))
        .standardizedFileURL

    /// A sample's bytes; a missing file fails the test with where it was looked for.
    static func bytes(_ name: String) throws -> [UInt8] {
        let path = directory.appendingPathComponent(name).path
        let data = try #require(FileManager.default.contents(atPath: path),
                                "missing \(path): the shared Kite samples must sit beside the clone (shared/data/kite/ticker)")
        return [UInt8](data)
    }

    /// A packet the mocks ship as base64 text.
    static func base64Packet(_ name: String) throws -> [UInt8] {
        let text = String(decoding: try bytes(name), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return [UInt8](try #require(Data(base64Encoded: text), "\(name) is not base64"))
    }

    /// A decoded tick the mocks ship as JSON.
    static func json(_ name: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(try bytes(name)))
        return try #require(object as? [String: Any], "\(name) is not a JSON object")
    }
}

extension KiteQuote {
    /// The quote a mock tick describes, with the mocks' key names; absent keys stay zero.
    init(mockJSON json: [String: Any]) throws {
        let ohlc = json["ohlc"] as? [String: Any] ?? [:]
        let depth = json["depth"] as? [String: Any] ?? [:]
        func number(_ key: String, in object: [String: Any] = json) -> NSNumber { object[key] as? NSNumber ?? 0 }
        func time(_ key: String) throws -> UInt32 {
            guard let text = json[key] as? String else { return 0 }
            let date = try #require(ISO8601DateFormatter().date(from: text), "\(key) \(text) is not an ISO 8601 time")
            return UInt32(date.timeIntervalSince1970)
        }
        func levels(_ side: String) -> [KiteDepthEntry] {
            (depth[side] as? [[String: Any]] ?? []).map {
                KiteDepthEntry(quantity: number("quantity", in: $0).uint32Value, price: number("price", in: $0).doubleValue,
                               orders: number("orders", in: $0).uint16Value)
            }
        }
        self.init(token: try #require(json["instrument_token"] as? NSNumber).uint32Value,
                  lastPrice: number("last_price").doubleValue, lastQuantity: number("last_quantity").uint32Value,
                  averagePrice: number("average_price").doubleValue, volume: number("volume").uint32Value,
                  buyQuantity: number("buy_quantity").uint32Value, sellQuantity: number("sell_quantity").uint32Value,
                  open: number("open", in: ohlc).doubleValue, high: number("high", in: ohlc).doubleValue,
                  low: number("low", in: ohlc).doubleValue, close: number("close", in: ohlc).doubleValue,
                  lastTradeTime: try time("last_trade_time"), exchangeTimestamp: try time("timestamp"),
                  openInterest: number("oi").uint32Value, openInterestDayHigh: number("oi_day_high").uint32Value,
                  openInterestDayLow: number("oi_day_low").uint32Value, bids: levels("buy"), asks: levels("sell"))
    }
}
