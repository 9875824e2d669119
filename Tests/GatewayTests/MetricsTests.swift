import Dispatch
import Testing
@testable import Gateway

/// Metrics: series by method, route and status, rendered in the Prometheus text format.
@Suite struct MetricsTests {
    static func entry(_ target: String, status: HTTPStatus = .ok, milliseconds: Int64 = 3) -> AccessLogEntry {
        AccessLogEntry(method: .get, target: target, status: status, requestID: "", remoteAddress: "", duration: .milliseconds(milliseconds))
    }

    @Test(arguments: [
        ("/instruments/list?exchange=NSE", "/instruments/list"), ("/instruments/256265", "/instruments/{id}"),
        ("/users/7/keys", "/users/{id}/keys"), ("//instruments//list/", "/instruments/list"), ("/", "/"), ("/?x=1", "/"),
    ])
    func routesFoldNumericAndEmptySegments(target: String, route: String) {
        #expect(Metrics.route(of: target) == route)
    }

    @Test func requestsAreCountedPerSeriesWithCumulativeBuckets() {
        let metrics = Metrics()
        metrics.record(Self.entry("/instruments/1?a=b", milliseconds: 3))
        metrics.record(Self.entry("/instruments/2", milliseconds: 30))
        metrics.record(Self.entry("/instruments/3", status: .notFound))
        let text = metrics.render(extra: [])
        let labels = #"method="GET",route="/instruments/{id}",status="200""#
        #expect(text.contains("tape_http_requests_total{\(labels)} 2\n"))
        #expect(text.contains(#"tape_http_requests_total{method="GET",route="/instruments/{id}",status="404"} 1"#))
        #expect(text.contains("tape_http_request_duration_seconds_bucket{\(labels),le=\"0.0025\"} 0\n"))
        #expect(text.contains("tape_http_request_duration_seconds_bucket{\(labels),le=\"0.005\"} 1\n"))
        #expect(text.contains("tape_http_request_duration_seconds_bucket{\(labels),le=\"0.05\"} 2\n"))
        #expect(text.contains("tape_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} 2\n"))
        #expect(text.contains("tape_http_request_duration_seconds_count{\(labels)} 2\n"))
        // Series render in label order, so the text is the same for the same counts.
        let totals = text.split(separator: "\n").filter { $0.hasPrefix("tape_http_requests_total{") }
        #expect(totals == totals.sorted())
    }

    @Test func requestsRecordedOnManyThreadsAddUp() {
        let metrics = Metrics()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1_000 { metrics.record(Self.entry("/instruments/list")) }
        }
        #expect(metrics.render(extra: []).contains(#"tape_http_requests_total{method="GET",route="/instruments/list",status="200"} 8000"#))
    }
}
