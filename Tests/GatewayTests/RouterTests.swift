import Foundation
import Testing
@testable import Gateway

@Suite struct RouterTests {
    struct Failure: Error {}

    /// Runs a responder in-process and returns what it replied synchronously.
    static func respond(_ responder: any Responder, _ method: HTTPMethod, _ target: String, headers: HTTPHeaders = ["Host": "h"]) throws -> HTTPResponse {
        let captured = Locked<HTTPResponse?>(nil)
        responder.respond(to: HTTPRequest(method: method, target: target, headers: headers), context: RequestContext(), reply: Reply { response in
            captured.withLock { $0 = response }
        })
        return try #require(captured.withLock { $0 })
    }

    static func text(_ response: HTTPResponse) -> String {
        guard case .bytes(let bytes) = response.body else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func makeRouter() -> Router {
        var router = Router()
        router.get("/instruments/{token}") { _, context in .text("token \(context.parameter("token") ?? "-")") }
        router.get("/instruments/search") { request, _ in .text("search \(request.queryValue("q") ?? "")") }
        router.post("/instruments/{token}") { _, _ in .text("posted") }
        router.get("/fails") { _, _ in throw HTTPError(.conflict, code: "already_there", message: "It exists.") }
        router.get("/crashes") { _, _ in throw Failure() }
        return router
    }

    @Test func pathParametersAreCapturedAndPercentDecoded() throws {
        let response = try Self.respond(Self.makeRouter().makeResponder(), .get, "/instruments/NSE%3AINFY")
        #expect(Self.text(response) == "token NSE:INFY")
    }

    @Test func literalSegmentWinsOverAParameterAddedBeforeIt() throws {
        let response = try Self.respond(Self.makeRouter().makeResponder(), .get, "/instruments/search?q=reliance")
        #expect(Self.text(response) == "search reliance")
    }

    @Test func literalSegmentWinsWhateverUnrelatedRoutesSitBetween() throws {
        var router = Router()
        router.get("/instruments/{token}") { _, context in .text("token \(context.parameter("token") ?? "")") }
        for name in ["alerts", "keys", "users", "udf", "signals"] { router.get("/\(name)/{id}") { _, _ in .text(name) } }
        router.get("/") { _, _ in .text("root") }
        router.get("/instruments/list") { _, _ in .text("list") }
        let responder = router.makeResponder()
        #expect(Self.text(try Self.respond(responder, .get, "/instruments/list")) == "list")
        #expect(Self.text(try Self.respond(responder, .get, "/instruments/7")) == "token 7")
        #expect(Self.text(try Self.respond(responder, .get, "/")) == "root")
    }

    @Test func unknownPathGets404InTheErrorEnvelope() throws {
        let response = try Self.respond(Self.makeRouter().makeResponder(), .get, "/nothing/here")
        #expect(response.status == .notFound)
        #expect(Self.text(response).hasPrefix("{\"error\":{\"code\":\"not_found\""))
    }

    @Test func wrongMethodGets405ListingTheAllowedOnes() throws {
        let response = try Self.respond(Self.makeRouter().makeResponder(), .delete, "/instruments/INFY")
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == "GET, POST, HEAD, OPTIONS")
    }

    @Test func aLiteralRouteOwnsItsPathSoOtherMethodsAre405There() throws {
        // POST /instruments/{token} matches the path too, but /instruments/search is another resource.
        let response = try Self.respond(Self.makeRouter().makeResponder(), .post, "/instruments/search")
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS")
        #expect(Self.text(try Self.respond(Self.makeRouter().makeResponder(), .post, "/instruments/INFY")) == "posted")
    }

    @Test func headIsServedByTheGetRoute() throws {
        let response = try Self.respond(Self.makeRouter().makeResponder(), .head, "/instruments/INFY")
        #expect(response.status == .ok)
    }

    @Test func thrownHTTPErrorRendersWithItsStatusAndOtherErrorsAs500() throws {
        let responder = Self.makeRouter().makeResponder()
        let conflict = try Self.respond(responder, .get, "/fails")
        #expect(conflict.status == .conflict)
        #expect(Self.text(conflict) == "{\"error\":{\"code\":\"already_there\",\"message\":\"It exists.\"}}")
        let crash = try Self.respond(responder, .get, "/crashes")
        #expect(crash.status == .internalServerError)
        #expect(Self.text(crash).contains("internal_error"))
    }

    @Test func requestIDIsKeptWhenSaneAndGeneratedOtherwise() throws {
        var router = Router()
        router.use(RequestIDMiddleware(generate: { "generated" }))
        router.get("/id") { _, context in .text(context.requestID) }
        let responder = router.makeResponder()
        let kept = try Self.respond(responder, .get, "/id", headers: ["Host": "h", "X-Request-Id": "abc-123"])
        #expect(Self.text(kept) == "abc-123")
        #expect(kept.headers["X-Request-Id"] == "abc-123")
        let replaced = try Self.respond(responder, .get, "/id", headers: ["Host": "h", "X-Request-Id": "bad id with spaces"])
        #expect(replaced.headers["X-Request-Id"] == "generated")
        let missing = try Self.respond(responder, .get, "/nowhere")
        #expect(missing.headers["X-Request-Id"] == "generated")
    }

    @Test func corsHeaderIsAddedOnlyWhereTheMiddlewareIsAttached() throws {
        var router = Router()
        router.get("/read", middleware: [CORSMiddleware()]) { _, _ in .text("r") }
        router.post("/write") { _, _ in .text("w") }
        let responder = router.makeResponder()
        #expect(try Self.respond(responder, .get, "/read").headers["Access-Control-Allow-Origin"] == "*")
        #expect(try Self.respond(responder, .post, "/write").headers["Access-Control-Allow-Origin"] == nil)
    }

    @Test func optionsDescribesTheAllowedMethods() throws {
        let response = try Self.respond(Self.makeRouter().makeResponder(), .options, "/instruments/INFY")
        #expect(response.status == .noContent)
        #expect(response.headers["Allow"] == "GET, POST, HEAD, OPTIONS")
    }

    @Test func corsPreflightIsAnsweredBeforeAuthentication() throws {
        var router = Router()
        let auth = AuthMiddleware { _ throws(HTTPError) in throw .unauthorized() }
        router.get("/quotes/{token}", middleware: [CORSMiddleware(), auth]) { _, _ in .text("quote") }
        let response = try Self.respond(router.makeResponder(), .options, "/quotes/INFY", headers: [
            "Host": "h", "Origin": "https://charts.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization",
        ])
        #expect(response.status == .noContent)
        #expect(response.headers["Access-Control-Allow-Origin"] == "*")
        #expect(response.headers["Access-Control-Allow-Headers"] == "authorization")
        #expect(response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS")
    }

    @Test func groupPrefixesPathsAndWrapsItsRoutesInItsMiddleware() throws {
        var router = Router()
        router.group("/api/v1", middleware: [CORSMiddleware()]) { api in
            api.get("/instruments/{token}") { _, context in .text(context.parameter("token") ?? "") }
        }
        router.post("/api/v1/orders") { _, _ in .text("order") }
        let responder = router.makeResponder()
        let read = try Self.respond(responder, .get, "/api/v1/instruments/TCS")
        #expect(Self.text(read) == "TCS")
        #expect(read.headers["Access-Control-Allow-Origin"] == "*")
        #expect(try Self.respond(responder, .get, "/instruments/TCS").status == .notFound)
        #expect(try Self.respond(responder, .post, "/api/v1/orders").headers["Access-Control-Allow-Origin"] == nil)
    }

    @Test func authHookRejectsWith401OrSetsThePrincipal() throws {
        var router = Router()
        let auth = AuthMiddleware { request throws(HTTPError) in
            guard let key = request.headers["Authorization"], key == "Bearer good" else { throw .unauthorized() }
            return "user-1"
        }
        router.get("/me", middleware: [auth]) { _, context in .text(context.principal ?? "nobody") }
        let responder = router.makeResponder()
        let rejected = try Self.respond(responder, .get, "/me")
        #expect(rejected.status == .unauthorized)
        #expect(rejected.headers["WWW-Authenticate"] == "Bearer")
        #expect(Self.text(try Self.respond(responder, .get, "/me", headers: ["Host": "h", "Authorization": "Bearer good"])) == "user-1")
    }

    @Test func accessLogHookSeesStatusRequestIDAndDuration() throws {
        let entries = Locked<[AccessLogEntry]>([])
        let ticks = Locked(0)
        let start = ContinuousClock.now
        var router = Router()
        router.use(RequestIDMiddleware(generate: { "rid" }))
        router.use(AccessLogMiddleware(now: { start + .milliseconds(ticks.withLock { $0 += 5; return $0 }) }) { entry in
            entries.withLock { $0.append(entry) }
        })
        router.get("/x") { _, _ in .text("x") }
        _ = try Self.respond(router.makeResponder(), .get, "/x?y=1")
        let entry = try #require(entries.withLock { $0.first })
        #expect(entry.status == .ok)
        #expect(entry.target == "/x?y=1")
        #expect(entry.requestID == "rid")
        #expect(entry.duration == .milliseconds(5))
    }

    @Test func asyncHandlerAnswersFromItsTask() async {
        var router = Router()
        router.on(.get, "/async/{n}", async: { _, context in
            await Task.yield()
            guard let n = context.parameter("n"), let value = Int(n) else { throw HTTPError.badRequest("n must be a number") }
            return .text("\(value * 2)")
        })
        let responder = router.makeResponder()
        var statuses: [Int] = []
        for target in ["/async/21", "/async/x"] {
            // Awaiting (not polling) leaves the cooperative pool free to run the handler's task.
            let response = await withCheckedContinuation { continuation in
                responder.respond(to: HTTPRequest(method: .get, target: target), context: RequestContext(), reply: Reply { continuation.resume(returning: $0) })
            }
            statuses.append(response.status.rawValue)
        }
        #expect(statuses == [200, 400])
    }

    @Test func webSocketRouteRejectsABadHandshakeWithA4xx() throws {
        var router = Router()
        router.webSocket("/ws") { _, _ in EchoHandler(recorder: WebSocketRecorder()) }
        let response = try Self.respond(router.makeResponder(), .get, "/ws", headers: ["Host": "h", "Upgrade": "websocket", "Connection": "Upgrade"])
        #expect(response.status == .badRequest)
        #expect(Self.text(response).contains("websocket_key"))
    }
}
