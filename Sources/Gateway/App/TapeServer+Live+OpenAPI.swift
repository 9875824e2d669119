import Services

/// The OpenAPI description of the live-data routes: `POST /ticks`, signals, alerts, the two
/// WebSocket streams and the chart page. Object schemas here list the fields always present
/// and leave others open, since several answers grow optional fields.
extension TapeServer {
    static func describeLiveRoutes(in document: inout OpenAPIDocument, readAccess: OpenAPIDocument.Access) {
        let key = OpenAPIDocument.Access.anyValidKey, rights = OpenAPIDocument.Access.keyWithRights
        let json = OpenAPIDocument.jsonContent
        let id = #"{"name":"id","in":"path","required":true,"schema":\#(OpenAPISchema.identifier)}"#
        document.addSchema("Rejection", """
            {"type":"object","required":["index","error"],"properties":{"index":{"type":"integer","minimum":0},"error":{"type":"string"}}}
            """)
        document.addSchema("NewTick", """
            {"type":"object","required":["token","price","volume"],
             "description":"Other fields are ignored. A tick is also rejected when its token is not a listed instrument, a price has more decimals than the tick size allows, or time is over 5 minutes ahead.",
             "properties":{"token":{"type":"integer","minimum":1,"maximum":4294967295},"price":{"type":"number","exclusiveMinimum":0},
               "volume":{"type":"integer","minimum":0},"time":{"type":"number","minimum":0,"description":"Unix seconds; default: when received."},
               "oi":{"type":"integer","minimum":0},"bid":{"type":"number","minimum":0},"ask":{"type":"number","minimum":0}}}
            """)
        document.addSchema("NewSignal", """
            {"type":"object","additionalProperties":false,"required":["model","token","value"],
             "description":"A signal is also rejected when its token is not in the catalog.",
             "properties":{"model":{"type":"string","minLength":1,"maxLength":100},
               "token":\(OpenAPISchema.instrumentToken),"value":{"type":"number"},
               "time":{"type":["number","null"],"minimum":0,"exclusiveMaximum":\(Int(signalTimeLimit)),"description":"Unix seconds, 1970 to 2100; absent or null: when received."},
               "label":{"type":["string","null"],"maxLength":200},
               "confidence":{"type":["number","null"],"minimum":0,"maximum":1}}}
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
        // window as text: whole seconds, minutes, hours or days, with at most as many digits as keep the seconds in
        // a UInt32 (the server's parse); the 7-day limit is a rule of pct_change, checked with the others (422).
        let window = #"{"oneOf":[{"type":"integer","minimum":1,"maximum":4294967295},{"type":"string","pattern":"^([1-9][0-9]{0,8}s|[1-9][0-9]{0,6}m|[1-9][0-9]{0,5}h|[1-9][0-9]{0,3}d)$"},{"type":"null"}],"description":"Seconds, or 30s, 5m, 1h, 1d; null clears it."}"#
        document.addSchema("NewAlert", """
            {"type":"object","additionalProperties":false,"required":["token","condition"],
             "description":"The fields are checked one by one (400 for a malformed one), then the rule as a whole (422): price_above, price_below, crosses_above and crosses_below need a positive price and take no pct or window; pct_change needs pct (non-zero, above -100, at most 1000, after direction sets its sign) and a window of 1 s to 7 days; cooldown_s at most 30 days; expires_at in the future; the token a listed instrument.",
             "properties":\(alertFields(window: window)),
               "user_id":{"type":"integer","minimum":1,"maximum":9223372036854775807,"description":"Admin key only (which then needs it): whose alert it is."}}}
            """)
        document.addSchema("AlertChange", """
            {"type":"object","additionalProperties":false,
             "description":"The fields to change; the rest keep their values, and the rule they make is checked as for a new alert (422). A new condition drops price, pct and window unless given again.",
             "properties":\(alertFields(window: window))}}
            """)
        document.addResponse("InvalidRule", OpenAPIDocument.errorResponse("The fields are well-formed but the rule they make is not valid, or its token or user_id names nothing; the message says which."))
        document.addSchema("Firing", """
            {"type":"object","required":["n","tick_offset","offset","price","time","rule_version"],
             "properties":{"n":{"type":"integer","minimum":1},"tick_offset":{"type":"integer"},"offset":{"type":"integer"},
               "price":{"type":"number"},"time":{"type":"number"},"rule_version":{"type":"integer"}}}
            """)
        let items = { (schema: String) in ##"{"type":"object","required":["items"],"properties":{"items":{"type":"array","items":{"$ref":"#/components/schemas/\##(schema)"}}}}"## }

        document.addOperation(.post, "/ticks", """
            {"operationId":"postTicks",\(key.security)"summary":"Appends ticks: a JSON array or NDJSON of {token, price, volume, time?, oi?, bid?, ask?}.",
              "parameters":[{"name":"Idempotency-Key","in":"header","schema":{"type":"string","minLength":1,"maxLength":\(TickIngest.maxKeyLength),"pattern":"^[!-~]+$"},
                "description":"A retry with the same key and body appends nothing and gets the first answer, also after a restart."}],
              "requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"array","maxItems":\(TickIngest.maxItems),"items":{"$ref":"#/components/schemas/NewTick"}}},"application/x-ndjson":{"schema":{"type":"string"}}}},
              "responses":{\(key.responses)
                "200":{"description":"Valid ticks appended; the others listed by index.","content":\(json("AppendResult"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "413":{"$ref":"#/components/responses/ContentTooLarge"},
                "422":{"description":"Every tick was rejected (the answer lists why, by index: a token not in the catalog, a price off the tick size, a time too far ahead…), or the key was reused with another body.","content":{"application/json":{"schema":{}}}},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.post, "/signals", """
            {"operationId":"postSignals",\(key.security)"summary":"Publishes ML signals: one {model, token, time?, value, label?, confidence?} or an array.",
              "requestBody":{"required":true,"content":{"application/json":{"schema":{"oneOf":[{"$ref":"#/components/schemas/NewSignal"},{"type":"array","minItems":1,"maxItems":\(maxSignalsPerRequest),"items":{"$ref":"#/components/schemas/NewSignal"}}]}}}},
              "responses":{\(key.responses)
                "200":{"description":"Valid signals appended; the others listed by index.","content":\(json("AppendResult"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "413":{"$ref":"#/components/responses/ContentTooLarge"},
                "422":{"description":"Every signal was rejected (the answer lists why, by index: a token not in the catalog…).","content":\(json("AppendResult"))},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.get, "/signals", """
            {"operationId":"listSignals",\(readAccess.security)"summary":"Signals of one instrument, oldest first.",
              "parameters":[{"name":"token","in":"query","required":true,"schema":\(OpenAPISchema.instrumentToken)},
                {"name":"model","in":"query","schema":{"type":"string"}},
                {"name":"from","in":"query","schema":\(OpenAPISchema.unixSeconds)},{"name":"to","in":"query","schema":\(OpenAPISchema.unixSeconds)},
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
                "422":{"$ref":"#/components/responses/InvalidRule"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.get, "/alerts", """
            {"operationId":"listAlerts",\(key.security)"summary":"The caller's alerts (the admin sees all).",
              "parameters":[{"name":"user_id","in":"query","schema":\(OpenAPISchema.identifier),"description":"Admin key only: whose alerts; ignored with another key."}],
              "responses":{\(key.responses)"200":{"description":"The alerts.","content":\(json("AlertList"))},
                "400":{"$ref":"#/components/responses/BadRequest"}}}
            """)
        let requestBody = ##""requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/AlertChange"}}}},"##
        let alertOp = { (method: String, summary: String, body: Bool) in """
            {"operationId":"\(method)Alert",\(key.security)"summary":"\(summary)","parameters":[\(id)],
              \(body ? requestBody : "")
              "responses":{\(key.responses)"200":{"description":"The alert.","content":\(json("Alert"))},
                "400":{"$ref":"#/components/responses/BadRequest"},"404":{"$ref":"#/components/responses/NotFound"},
                "410":{"$ref":"#/components/responses/Gone"},\(body ? ##""422":{"$ref":"#/components/responses/InvalidRule"},"## : "")
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
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
              "parameters":[\(id),{"name":"n","in":"path","required":true,"schema":{"type":"integer","minimum":1,"maximum":18446744073709551615}}],
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
              "parameters":[{"name":"from","in":"query","schema":\(OpenAPISchema.time)},{"name":"to","in":"query","schema":\(OpenAPISchema.time)},
                {"name":"from_offset","in":"query","schema":{"type":"integer","minimum":0,"maximum":9223372036854775807},"description":"Not with from."},
                {"name":"tokens","in":"query","schema":\(OpenAPISchema.instrumentTokenList(atMost: nil))},
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

    /// The properties object of an alert body (without its closing brace, so `user_id` can follow): the rule fields
    /// `TapeServer.rule(from:base:)` reads, each with the type and range it parses.
    private static func alertFields(window: String) -> String {
        """
        {"token":\(OpenAPISchema.instrumentToken),
               "condition":{"type":"string","enum":["price_above","price_below","crosses_above","crosses_below","pct_change"]},
               "price":{"type":["number","null"]},"pct":{"type":["number","null"]},"direction":{"type":"string","enum":["up","down"]},
               "window":\(window),"frequency":{"type":"string","enum":["once","every"]},
               "cooldown_s":{"type":"integer","minimum":0,"maximum":4294967295},
               "expires_at":{"oneOf":[{"type":"number"},\(OpenAPISchema.time),{"type":"null"}],"description":"Unix seconds or an ISO 8601 time; null clears it."},
               "enabled":{"type":"boolean"}
        """
    }
}
