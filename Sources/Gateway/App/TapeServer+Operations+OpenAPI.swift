/// The OpenAPI description of `GET /health`, `/health/live`, `/health/ready` and `/metrics` (registered in
/// `TapeServer.swift`). None checks a key or its query, so none has a 400 or 401.
extension TapeServer {
    static func describeOperations(in document: inout OpenAPIDocument) {
        document.addSchema("Health", """
            {"type":"object","additionalProperties":false,"required":["status","components","uptime_seconds"],
             "properties":{
               "status":{"type":"string","enum":["ok","degraded","down"],
                 "description":"down: the log failed or a projection stopped on an error (the answer is then a 503); degraded: the last append could not be written (a full disk), a projection is retrying a refused commit or still catching up, a feed failed or stalled, or streaming stopped."},
               "components":{"type":"object","additionalProperties":false,"required":["log","projections"],
                 "properties":{
                   "log":{"type":"object","additionalProperties":false,
                     "required":["status","accepted_end","durable_end","durability","disk_free_bytes"],
                     "properties":{
                       "status":{"type":"string","enum":["ok","degraded","down"]},
                       "accepted_end":{"type":"integer","minimum":0,"description":"One past the last offset written."},
                       "durable_end":{"type":"integer","minimum":0,"description":"One past the last offset on disk for sure."},
                       "durability":{"type":"string","description":"always, never or interval:<ms>."},
                       "disk_free_bytes":{"type":"integer","minimum":-1,"description":"Free bytes on the log directory's filesystem; -1 when it cannot be read."},
                       "error":{"type":"string","description":"Why the log failed (down), or why the last append could not be written (degraded)."}}},
                   "projections":{"type":"object","additionalProperties":{"$ref":"#/components/schemas/ProjectionHealth"},
                     "description":"By projection name (instruments, users, sessions, quotes, candles, signals, alerts)."},
                   "feeds":{"type":"object","description":"By feed name: state (starting, ok, degraded, stopped), reason, ticks_appended, last_tick_time, consecutive_failures, next_retry.",
                     "additionalProperties":{"type":"object","required":["feed","state"]}},
                   "streaming":{"type":"object","required":["status","sessions","delivered_end"],
                     "properties":{"status":{"type":"string","enum":["ok","degraded"]},"sessions":{"type":"integer","minimum":0},
                       "delivered_end":{"type":"integer","minimum":0},"error":{"type":"string"}}}}},
               "uptime_seconds":{"type":"number","minimum":0}}}
            """)
        document.addSchema("ProjectionHealth", """
            {"type":"object","additionalProperties":false,"required":["version","state","next_offset","lag_events","lag_seconds"],
             "properties":{
               "version":{"type":"integer"},
               "state":{"type":"string","enum":["catching_up","live","stopped","failed"]},
               "next_offset":{"type":"integer","minimum":0,"description":"The next log offset to apply."},
               "lag_events":{"type":"integer","minimum":0},
               "lag_seconds":{"type":"number"},
               "error":{"type":"string","description":"Why it stopped (state failed), or why its last commit was refused while it retries (a full disk; health is then degraded)."},
               "rebuild":{"$ref":"#/components/schemas/ProjectionRebuild","description":"The running or last zero-downtime rebuild, if any since the server started."}}}
            """)
        document.addSchema("Probe", """
            {"type":"object","additionalProperties":false,"required":["status"],"properties":{"status":{"type":"string"}}}
            """)
        let health = OpenAPIDocument.jsonContent("Health")
        document.addOperation(.get, "/health", """
            {"operationId":"getHealth","summary":"The state of the log and of every projection.",
              "responses":{
                "200":{"description":"Serving: ok or degraded.","content":\(health)},
                "503":{"description":"Down: the log or a projection failed.","content":\(health)}}}
            """)
        document.addOperation(.get, "/health/live", """
            {"operationId":"getLiveness","summary":"Liveness: the process answers.",
              "responses":{
                "200":{"description":"Always {\\"status\\":\\"ok\\"}.",
                  "content":{"application/json":{"schema":{"$ref":"#/components/schemas/Probe"},"example":{"status":"ok"}}}}}}
            """)
        document.addOperation(.get, "/health/ready", """
            {"operationId":"getReadiness","summary":"Readiness: every projection is live and the log is writable.",
              "responses":{
                "200":{"description":"{\\"status\\":\\"ready\\"}.",
                  "content":{"application/json":{"schema":{"$ref":"#/components/schemas/Probe"},"example":{"status":"ready"}}}},
                "503":{"description":"{\\"status\\":\\"not_ready\\"}: a projection is catching up or failed, or the log failed.",
                  "content":{"application/json":{"schema":{"$ref":"#/components/schemas/Probe"},"example":{"status":"not_ready"}}}}}}
            """)
        document.addOperation(.get, "/metrics", """
            {"operationId":"getMetrics","summary":"Prometheus metrics (text exposition format 0.0.4).",
              "description":"HTTP requests and latency histograms by method, route and status; log ends and bytes appended; projection lag; resident memory.",
              "responses":{
                "200":{"description":"The exposition text.","content":{"text/plain":{"schema":{"type":"string"}}}}}}
            """)
    }
}
