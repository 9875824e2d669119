import Foundation
import Testing
@testable import Gateway

@Suite struct HTTPResponseTests {
    static let date = "Sun, 06 Nov 1994 08:49:37 GMT"

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func dateHeaderIsIMFFixdate() {
        #expect(HTTPDate.string(fromEpochSeconds: 784_111_777) == Self.date)
        #expect(HTTPDate.string(fromEpochSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }

    @Test func completeBodyIsSentWithContentLengthDateAndServer() {
        let bytes = HTTPResponse.text("hi").serialized(answering: .get, version: .http1_1, keepAlive: true, date: Self.date, server: "Tape")
        #expect(Self.text(bytes) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nDate: \(Self.date)\r\nServer: Tape\r\nContent-Length: 2\r\n\r\nhi")
    }

    @Test func headResponseKeepsTheLengthButSendsNoContent() {
        let bytes = HTTPResponse.text("hello").serialized(answering: .head, version: .http1_1, keepAlive: true, date: Self.date, server: "Tape")
        #expect(Self.text(bytes).hasSuffix("Content-Length: 5\r\n\r\n"))
    }

    @Test func closingResponseSaysConnectionClose() {
        let bytes = HTTPResponse(status: .noContent).serialized(answering: .get, version: .http1_1, keepAlive: false, date: Self.date, server: "")
        #expect(Self.text(bytes) == "HTTP/1.1 204 No Content\r\nDate: \(Self.date)\r\nConnection: close\r\n\r\n")
    }

    @Test func http10KeepAliveIsEchoed() {
        let bytes = HTTPResponse().serialized(answering: .get, version: .http1_0, keepAlive: true, date: Self.date, server: "")
        #expect(Self.text(bytes).contains("Connection: keep-alive\r\n"))
    }

    @Test func streamedBodyIsChunkedForHTTP11AndCloseDelimitedForHTTP10() {
        let response = HTTPResponse(status: .ok, headers: [:], body: .stream { _ in })
        #expect(response.framing(for: .http1_1) == .chunked)
        #expect(response.framing(for: .http1_0) == .untilClose)
        let head = Self.text(response.serializedHead(version: .http1_1, keepAlive: true, date: Self.date, server: ""))
        #expect(head.contains("Transfer-Encoding: chunked\r\n"))
        #expect(!head.contains("Content-Length"))
        #expect(Self.text(HTTPResponse.chunk(.ascii("hello world, this is 26 b!"))) == "1a\r\nhello world, this is 26 b!\r\n")
        #expect(HTTPResponse.chunk([]).isEmpty)
    }

    @Test func lineBreaksInHeaderValuesCannotSplitTheResponse() {
        let response = HTTPResponse(status: .ok, headers: ["X-Echo": "a\r\nSet-Cookie: evil=1"], body: [])
        let text = Self.text(response.serialized(answering: .get, version: .http1_1, keepAlive: true, date: Self.date, server: ""))
        #expect(text.contains("X-Echo: aSet-Cookie: evil=1\r\n"))
        #expect(!text.contains("\r\nSet-Cookie"))
    }

    @Test func errorRendersTheJSONEnvelope() throws {
        let error = HTTPError(.requestHeaderFieldsTooLarge, code: "headers_too_large", message: "Too \"big\".")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(error.jsonBody)) as? [String: [String: String]])
        #expect(object["error"]?["code"] == "headers_too_large")
        #expect(object["error"]?["message"] == "Too \"big\".")
        #expect(error.response.status.rawValue == 431)
        #expect(error.response.headers["Content-Type"] == "application/json")
    }
}

extension HTTPResponseTests {
    @Test func theHandlersFieldsKeepTheirOrderAndTheServersOwnFollow() {
        let response = HTTPResponse(status: .ok, headers: ["X-A": "1", "Date": "then", "Content-Length": "99", "Connection": "x", "X-B": "2"], body: [1, 2])
        let text = Self.text(response.serializedHead(version: .http1_1, keepAlive: false, date: Self.date, server: "Tape"))
        #expect(text == "HTTP/1.1 200 OK\r\nX-A: 1\r\nDate: then\r\nX-B: 2\r\nServer: Tape\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
    }

    @Test func switchingProtocolsKeepsTheHandlersConnectionField() {
        let response = HTTPResponse(status: .switchingProtocols, headers: ["Upgrade": "websocket", "Connection": "Upgrade"], body: [])
        let text = Self.text(response.serializedHead(version: .http1_1, keepAlive: true, date: Self.date, server: ""))
        #expect(text == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nDate: \(Self.date)\r\n\r\n")
    }

    @Test func writingIntoABufferAppendsWhatSerializingReturns() {
        var buffer: [UInt8] = [9]
        let response = HTTPResponse.json(Array(#"{"a":1}"#.utf8))
        response.write(answering: .get, version: .http1_1, keepAlive: true, date: Self.date, server: "Tape", to: &buffer)
        #expect(buffer == [9] + response.serialized(answering: .get, version: .http1_1, keepAlive: true, date: Self.date, server: "Tape"))
    }
}
