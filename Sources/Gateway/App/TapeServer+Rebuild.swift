import EventLog
import Foundation
import Projections
import Services

/// `POST /admin/projections/{name}/rebuild`: a zero-downtime rebuild of one projection (admin key).
///
/// The new build runs on a thread of its own into `data/projections.rebuild-NAME.sqlite` while
/// the live projection keeps serving; `/health` shows its progress under the projection, and
/// `GET` on the same path its status. `?diff=true` builds aside and reports what differs from
/// the live tables, swapping nothing.
extension TapeServer {
    func registerRebuildRoutes(on router: inout Router) {
        router.post("/admin/projections/{name}/rebuild") { [unowned self] request, context in
            guard try self.caller(of: request).isAdmin else { throw Self.forbidden("rebuilding a projection needs the admin key") }
            let runner = try self.runner(named: context.parameter("name"))
            let mode: ProjectionRebuild.Mode
            switch request.queryValue("diff") {
            case nil, "false", "0": mode = .swap
            case "true", "1": mode = .diff
            default: throw HTTPError.invalidParameter("diff", "diff is true or false")
            }
            let rebuild = try self.startRebuild(of: runner, mode: mode)
            var response = Self.json(status: .accepted) { rebuild.status.writeJSON(to: &$0) }
            response.headers.set("Location", "/admin/projections/\(runner.projection.name)/rebuild")
            return response
        }
        router.get("/admin/projections/{name}/rebuild") { [unowned self] request, context in
            guard try self.caller(of: request).isAdmin else { throw Self.forbidden("rebuild status needs the admin key") }
            let runner = try self.runner(named: context.parameter("name"))
            guard let rebuild = self.rebuilds.withLock({ $0[runner.projection.name] }) else {
                throw HTTPError(.notFound, code: "no_rebuild", message: "\(runner.projection.name) has not been rebuilt since the server started")
            }
            return Self.json(status: .ok) { rebuild.status.writeJSON(to: &$0) }
        }
    }

    private func runner(named name: String?) throws(HTTPError) -> ProjectionRunner {
        guard let name, let runner = runners.first(where: { $0.projection.name == name }) else {
            throw HTTPError(.notFound, code: "unknown_projection",
                            message: "no projection '\(name ?? "")'; known: \(ProjectionSet.names.joined(separator: ", "))")
        }
        return runner
    }

    /// Starts a rebuild unless one of the same projection is running (409).
    func startRebuild(of runner: ProjectionRunner, mode: ProjectionRebuild.Mode) throws(HTTPError) -> ProjectionRebuild {
        let name = runner.projection.name
        let reader: LogReader
        do { reader = try log.makeReader() } catch {
            throw HTTPError(.serviceUnavailable, code: "log_unavailable", message: "cannot read the log: \(error)")
        }
        guard let fresh = ProjectionSet.make(name) else {
            throw HTTPError(.notFound, code: "unknown_projection", message: "no projection '\(name)'")
        }
        let data = settings.dataDirectory
        let rebuild = ProjectionRebuild(live: runner, fresh: fresh, log: reader, livePath: ProjectionSet.databasePath(data),
                                        asidePath: ProjectionSet.rebuildPath(data, name: name), mode: mode)
        let isStarted = rebuilds.withLock { rebuilds in
            if let running = rebuilds[name], !running.status.isFinished { return false }
            rebuilds[name] = rebuild
            return true
        }
        guard isStarted else {
            throw HTTPError(.conflict, code: "rebuild_running", message: "a rebuild of \(name) is already running")
        }
        let thread = Thread {
            nameCurrentThread("rebuild-" + name)
            let status = rebuild.run()
            releaseFreedMemory()
            if let error = status.error {
                FileHandle.standardError.write(Data("tape: rebuild of \(name) failed: \(error)\n".utf8))
            }
        }
        thread.start()
        return rebuild
    }
}
