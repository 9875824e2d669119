/// The OpenAPI description of the live-data routes: `POST /ticks`, signals, alerts, the two
/// WebSocket streams and the chart page. Object schemas here list the fields always present
/// and leave others open, since several answers grow optional fields.
extension TapeServer {
    static func describeLiveRoutes(in document: inout OpenAPIDocument, readAccess: OpenAPIDocument.Access) {
        let key = OpenAPIDocument.Access.anyValidKey, rights = OpenAPIDocument.Access.keyWithRights
        let json = OpenAPIDocument.jsonContent
        let id = #"{"name":"id","in":"path","required":true,"schema":{"type":"integer","minimum":0}}"#
        document.addSchema("Rejection", """
            {"type":"object","required":["index","error"],"properties":{"index":{"type":"integer","minimum":0},"error":{"type":"string"}}}
            """)
        document.addSchema("AppendResult", """
            {"type":"object","required":["first_offset","last_offset","rejected"],
             "properties":{"first_offset":{"type":["integer","null"]},"last_offset":{"type":["integer","null"]},
               "accepted":{"type":"integer"},"durable":{"type":"boolean"},
               "rejected":{"type":"array","items":{"$ref":"#/components/schemas/Rejection"}}}}
            """)
        document.addSchema("Signal", """
            {"type":"object","required":["model","token","time","value","label","confidence","offset"],
             "properties":{"model":{"type":"string"},"token":{"type":"integer"},"time":{"type":"number"},"value":{"type":"number"},
               "label":{"type":["string","null"]},"confidence":{"type":["number","null"]},"offset":{"type":"integer"}}}
            """)
        document.addSchema("Alert", """
            {"type":"object","required":["id","version","token","condition"],
             "properties":{"id":{"type":"integer"},"version":{"type":"integer"},"token":{"type":"integer"},
               "condition":{"type":"string","enum":["price_above","price_below","crosses_above","crosses_below","pct_change"]}}}
            """)
        document.addSchema("NewAlert", """
            {"type":"object","required":["token","condition"],
             "properties":{"token":{"type":"integer","minimum":0,"maximum":4294967295},
               "condition":{"type":"string","enum":["price_above","price_below","crosses_above","crosses_below","pct_change"]},
               "price":{"type":"number"},"pct":{"type":"number"},"direction":{"type":"string","enum":["up","down"]},
               "window":{"type":"string","description":"e.g. 5m"},"frequency":{"type":"string","enum":["once","every"]},
               "cooldown_s":{"type":"integer","minimum":0},"expires_at":{"type":"number"},"enabled":{"type":"boolean"},
               "user_id":{"type":"integer","description":"Admin key only: whose alert it is."}}}
            """)
        document.addSchema("Firing", """
            {"type":"object","required":["n","tick_offset","offset","price","time","rule_version"],
             "properties":{"n":{"type":"integer","minimum":1},"tick_offset":{"type":"integer"},"offset":{"type":"integer"},
               "price":{"type":"number"},"time":{"type":"number"},"rule_version":{"type":"integer"}}}
            """)
        let items = { (schema: String) in ##"{"type":"object","required":["items"],"properties":{"items":{"type":"array","items":{"$ref":"#/components/schemas/\##(schema)"}}}}"## }

        document.addOperation(.post, "/ticks", """
            {"operationId":"postTicks",\(key.security)"summary":"Appends ticks: a JSON array or NDJSON of {token, price, volume, time?, oi?, bid?, ask?}.",
              "parameters":[{"name":"Idempotency-Key","in":"header","schema":{"type":"string","maxLength":255},
                "description":"A retry with the same key and body appends nothing and gets the first answer, also after a restart."}],
              "requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"array","items":{"type":"object"}}},"application/x-ndjson":{"schema":{"type":"string"}}}},
              "responses":{\(key.responses)
                "200":{"description":"Valid ticks appended; the others listed by index.","content":\(json("AppendResult"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "413":{"$ref":"#/components/responses/ContentTooLarge"},
                "422":{"description":"Every tick was rejected, or the key was reused with another body.","content":{"application/json":{"schema":{}}}},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.post, "/signals", """
            {"operationId":"postSignals",\(key.security)"summary":"Publishes ML signals: one {model, token, time?, value, label?, confidence?} or an array.",
              "requestBody":{"required":true,"content":{"application/json":{"schema":{"oneOf":[{"type":"object"},{"type":"array","items":{"type":"object"}}]}}}},
              "responses":{\(key.responses)
                "200":{"description":"Valid signals appended; the others listed by index.","content":\(json("AppendResult"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "422":{"description":"Every signal was rejected.","content":\(json("AppendResult"))},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.get, "/signals", """
            {"operationId":"listSignals",\(readAccess.security)"summary":"Signals of one instrument, oldest first.",
              "parameters":[{"name":"token","in":"query","required":true,"schema":{"type":"integer","minimum":0,"maximum":4294967295}},
                {"name":"model","in":"query","schema":{"type":"string"}},
                {"name":"from","in":"query","schema":{"type":"integer","minimum":0}},{"name":"to","in":"query","schema":{"type":"integer","minimum":0}},
                {"name":"limit","in":"query","schema":{"type":"integer","minimum":1,"maximum":10000,"default":1000}}],
              "responses":{\(readAccess.responses)
                "200":{"description":"The signals.","content":\(json("SignalList"))},
                "400":{"$ref":"#/components/responses/BadRequest"}}}
            """)
        document.addSchema("SignalList", items("Signal"))
        document.addSchema("AlertList", items("Alert"))
        document.addSchema("FiringList", items("Firing"))
        document.addOperation(.post, "/alerts", """
            {"operationId":"createAlert",\(rights.security)"summary":"Creates a price alert for the caller (the admin names user_id).",
              "requestBody":{"required":true,"content":\(json("NewAlert"))},
              "responses":{\(rights.responses)
                "201":{"description":"Created, version 1.","content":\(json("Alert"))},
                "400":{"$ref":"#/components/responses/BadRequest"},"404":{"$ref":"#/components/responses/NotFound"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.get, "/alerts", """
            {"operationId":"listAlerts",\(key.security)"summary":"The caller's alerts (the admin sees all).",
              "parameters":[{"name":"user_id","in":"query","schema":{"type":"integer","minimum":0}}],
              "responses":{\(key.responses)"200":{"description":"The alerts.","content":\(json("AlertList"))},
                "400":{"$ref":"#/components/responses/BadRequest"}}}
            """)
        let requestBody = ##""requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/NewAlert"}}}},"##
        let alertOp = { (method: String, summary: String, body: Bool) in """
            {"operationId":"\(method)Alert",\(key.security)"summary":"\(summary)","parameters":[\(id)],
              \(body ? requestBody : "")
              "responses":{\(key.responses)"200":{"description":"The alert.","content":\(json("Alert"))},
                "400":{"$ref":"#/components/responses/BadRequest"},"404":{"$ref":"#/components/responses/NotFound"},
                "410":{"$ref":"#/components/responses/Gone"},"503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """ }
        document.addOperation(.get, "/alerts/{id}", alertOp("get", "One alert of the caller's (another user's is a 404).", false))
        document.addOperation(.patch, "/alerts/{id}", alertOp("update", "Changes an alert; its version grows by one.", true))
        document.addOperation(.delete, "/alerts/{id}", alertOp("delete", "Deletes an alert (its firings stay).", false))
        document.addOperation(.get, "/alerts/{id}/firings", """
            {"operationId":"listFirings",\(key.security)"summary":"An alert's firings, numbered from 1.","parameters":[\(id)],
              "responses":{\(key.responses)"200":{"description":"The firings.","content":\(json("FiringList"))},
                "400":{"$ref":"#/components/responses/BadRequest"},"404":{"$ref":"#/components/responses/NotFound"}}}
            """)
        document.addOperation(.get, "/alerts/{id}/firings/{n}/explain", """
            {"operationId":"explainFiring",\(key.security)"summary":"Replays the log to firing n: the rule at that version, the tick, the previous price, a verdict.",
              "parameters":[\(id),{"name":"n","in":"path","required":true,"schema":{"type":"integer","minimum":1}}],
              "responses":{\(key.responses)"200":{"description":"The explanation.","content":{"application/json":{"schema":{"type":"object"}}}},
                "400":{"$ref":"#/components/responses/BadRequest"},"404":{"$ref":"#/components/responses/NotFound"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        let upgrade = { (operation: String, summary: String, parameters: String) in """
            {"operationId":"\(operation)","summary":"\(summary)","parameters":[\(parameters)],
              "responses":{"101":{"description":"Switching to the WebSocket protocol."},
                "400":{"$ref":"#/components/responses/BadRequest"},"401":{"$ref":"#/components/responses/Unauthorized"},
                "426":{"description":"Not a WebSocket upgrade.","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}}}
            """ }
        document.addOperation(.get, "/ws/v2", upgrade("streamV2", "WebSocket: JSON ticks of each session's own subscriptions, alerts, signals and closed candles; or a paced, seekable replay of history in the same messages (actions subscribe, unsubscribe, ping, replay, pause, resume, seek; see the README).",
                                                      #"{"name":"api_key","in":"query","schema":{"type":"string"}}"#))
        document.addOperation(.get, "/ws/kite", upgrade("streamKite", "WebSocket: the KiteTicker protocol; the Tape key goes in access_token.",
                                                        #"{"name":"api_key","in":"query","schema":{"type":"string"}},{"name":"access_token","in":"query","required":true,"schema":{"type":"string"}}"#))
        document.addOperation(.get, "/replay", """
            {"operationId":"replay",\(key.security)"summary":"History in log order as chunked NDJSON (or CSV ticks), like tape replay; non-admin keys get market data only.",
              "parameters":[{"name":"from","in":"query","schema":{"type":"string"}},{"name":"to","in":"query","schema":{"type":"string"}},
                {"name":"from_offset","in":"query","schema":{"type":"integer","minimum":0}},
                {"name":"tokens","in":"query","schema":{"type":"string","pattern":"^[0-9]+(,[0-9]+)*$"}},
                {"name":"types","in":"query","schema":{"type":"string"}},
                {"name":"format","in":"query","schema":{"type":"string","enum":["ndjson","csv"],"default":"ndjson"}}],
              "responses":{\(key.responses)
                "200":{"description":"The events.","content":{"application/x-ndjson":{"schema":{"type":"string"}},"text/csv":{"schema":{"type":"string"}}}},
                "400":{"$ref":"#/components/responses/BadRequest"},"403":{"$ref":"#/components/responses/Forbidden"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.get, "/", """
            {"operationId":"chartPage","summary":"The chart page (HTML): instrument picker, live candles, alerts and signals as markers.",
              "parameters":[{"name":"symbol","in":"query","schema":{"type":"string"},"description":"EXCHANGE:TRADINGSYMBOL to open."}],
              "responses":{"200":{"description":"The page.","content":{"text/html":{"schema":{"type":"string"}}}}}}
            """)
    }
}
