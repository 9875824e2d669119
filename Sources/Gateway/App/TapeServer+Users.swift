import EventLog
import Foundation
import Projections
import Services

/// `POST /users`, `POST /users/{id}/keys`, `DELETE /keys/{id}` and `GET /log/stats`.
///
/// Appends wait for fdatasync and stats read segment headers, so handlers run on `commands`
/// (a serial queue, which also hands out user and key ids one at a time), never on a loop.
extension TapeServer {
    /// Who a request's key belongs to.
    enum Caller {
        case admin
        case user(Principal)

        var isAdmin: Bool {
            switch self {
            case .admin: true
            case .user(let p): p.isAdmin
            }
        }
        var userID: UInt64? { if case .user(let p) = self { p.userID } else { nil } }
    }

    /// The caller, or a 401 naming what is wrong with the key. The admin key matches in
    /// constant time; a user key is checked once against its salted hash.
    func caller(of request: HTTPRequest) throws(HTTPError) -> Caller {
        try caller(key: apiKey(in: request))
    }

    /// The caller a key names (nil or empty: no key).
    func caller(key: String?) throws(HTTPError) -> Caller {
        guard let key, !key.isEmpty else {
            if !settings.isAuthEnabled { return .admin }
            throw HTTPError.unauthorized("an API key is required: send Authorization: Bearer <key> or X-API-Key")
        }
        if let admin = settings.adminKey, HMACSHA256.constantTimeEquals(Array(key.utf8), Array(admin.utf8)) { return .admin }
        guard let principal = users.authenticate(plaintext: key) else { throw HTTPError.unauthorized("the API key is not valid") }
        return .user(principal)
    }

    func registerUserRoutes(on router: inout Router) {
        router.on(.post, "/users", deferred: { [unowned self] request, _, reply in
            self.command(reply) { () throws(HTTPError) -> HTTPResponse in
                guard try self.caller(of: request).isAdmin else { throw Self.forbidden("creating users needs the admin key") }
                let body = try JSONObjectBody(request)
                guard let name = try body.string("name", lengths: 1...200) else {
                    throw HTTPError.invalidParameter("name", "name is required: a string of 1 to 200 characters")
                }
                let isAdmin = try body.bool("admin") ?? false
                let id = self.ids.withLock { ids in
                    ids.user = max(ids.user, self.users.snapshot.nextUserID)
                    defer { ids.user += 1 }
                    return ids.user
                }
                let offset = try self.append([UserCommands.makeUser(name: name, isAdmin: isAdmin, nextID: id)])
                _ = self.ids.withLock { $0.createdUsers.insert(id) }
                return Self.json(status: .created) { j in
                    j.key("id"); j.value(id); j.key("name"); j.value(name); j.key("admin"); j.value(isAdmin)
                    j.key("offset"); j.value(offset)
                }
            }
        })
        router.on(.post, "/users/{id}/keys", deferred: { [unowned self] request, context, reply in
            self.command(reply) { () throws(HTTPError) -> HTTPResponse in
                let caller = try self.caller(of: request)
                guard let userID = context.parameter("id").flatMap(UInt64.init) else {
                    throw HTTPError.invalidParameter("id", "the user id must be a whole number")
                }
                guard caller.isAdmin || caller.userID == userID else { throw Self.forbidden("a key can be issued by the admin or the user it is for") }
                let exists = self.users.snapshot.user(id: userID) != nil || self.ids.withLock { $0.createdUsers.contains(userID) }
                guard exists else { throw HTTPError(.notFound, code: "not_found", message: "no user \(userID)") }
                let label = try JSONObjectBody(request, allowsEmpty: true).string("label", lengths: 0...200) ?? ""
                let keyID = self.ids.withLock { ids in
                    ids.key = max(ids.key, self.users.snapshot.nextKeyID)
                    defer { ids.key += 1 }
                    return ids.key
                }
                var rng = SystemRandomNumberGenerator()
                let (plaintext, event) = UserCommands.issueKey(for: userID, label: label, nextKeyID: keyID, rng: &rng)
                let offset = try self.append([event])
                return Self.json(status: .created) { j in
                    j.key("key_id"); j.value(keyID); j.key("user_id"); j.value(userID); j.key("label"); j.value(label)
                    j.key("key"); j.value(plaintext); j.key("offset"); j.value(offset)
                }
            }
        })
        router.on(.delete, "/keys/{id}", deferred: { [unowned self] request, context, reply in
            self.command(reply) { () throws(HTTPError) -> HTTPResponse in
                let caller = try self.caller(of: request)
                guard let keyID = context.parameter("id").flatMap(UInt64.init) else {
                    throw HTTPError.invalidParameter("id", "the key id must be a whole number")
                }
                guard let key = self.users.snapshot.key(id: keyID) else { throw HTTPError(.notFound, code: "not_found", message: "no key \(keyID)") }
                guard caller.isAdmin || caller.userID == key.userID else { throw Self.forbidden("a key can be revoked by the admin or its owner") }
                let offset = try self.append([UserCommands.revokeKey(keyID)])
                return Self.json(status: .ok) { j in
                    j.key("key_id"); j.value(keyID); j.key("revoked"); j.value(true); j.key("offset"); j.value(offset)
                }
            }
        })
        router.on(.get, "/log/stats", deferred: { [unowned self] request, _, reply in
            self.command(reply) { () throws(HTTPError) -> HTTPResponse in
                guard try self.caller(of: request).isAdmin else { throw Self.forbidden("log statistics need the admin key") }
                do {
                    return .json(Array(try LogInspector.statistics(directory: self.log.directory).json.utf8))
                } catch {
                    throw HTTPError(.internalServerError, code: "log_unreadable", message: "\(error)")
                }
            }
        })
    }

    /// Runs `work` on the command queue and sends its answer (or its error).
    func command(_ reply: Reply, _ work: @escaping @Sendable () throws(HTTPError) -> HTTPResponse) {
        commands.async {
            do throws(HTTPError) { reply.send(try work()) } catch { reply.send(error) }
        }
    }

    /// Appends durably and waits (bounded) until the users projection (or `runner`) has folded it,
    /// so the caller can use what it created at once; a refused append is a 503 naming why.
    func append(_ events: [Event], at time: Timestamp = Timestamp.now(), foldedBy runner: ProjectionRunner? = nil) throws(HTTPError) -> UInt64 {
        let offset: UInt64
        do {
            offset = try log.append(events.map { Record(time: time, event: $0) }).upperBound
        } catch {
            throw HTTPError(.serviceUnavailable, code: "log_unavailable", message: "the log refused the append: \(error)")
        }
        _ = (runner ?? usersRunner).waitUntilApplied(before: offset + 1, timeout: .seconds(5))
        return offset
    }

    static func forbidden(_ message: String) -> HTTPError { HTTPError(.forbidden, code: "forbidden", message: message) }

    static func json(status: HTTPStatus, _ fields: (inout JSONText) -> Void) -> HTTPResponse {
        var j = JSONText()
        j.beginObject()
        fields(&j)
        j.endObject()
        return .json(j.bytes, status: status)
    }
}

