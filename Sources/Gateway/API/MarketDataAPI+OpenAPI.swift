extension MarketDataAPI {
    /// Adds `/quotes` and `/candles` and their schemas to `document`, beside the handlers.
    public static func describe(in document: inout OpenAPIDocument, access: OpenAPIDocument.Access = .anyone) {
        let price = #"{"type":"number"}"#
        document.addSchema("Quote", """
            {"type":"object","additionalProperties":false,
             "required":["token","price","volume","time","offset","day","open","high","low","close","change","change_pct","day_volume"],
             "properties":{
               "token":{"type":"integer","minimum":0,"maximum":4294967295},
               "price":\(price),
               "volume":{"type":"integer","minimum":0,"description":"Quantity of the last trade."},
               "time":{"type":"number","description":"Time of the last tick, Unix seconds."},
               "offset":{"type":"integer","minimum":0,"description":"Log offset of the last tick."},
               "day":{"type":"string","format":"date","description":"UTC day of the last tick, which open/high/low/day_volume cover."},
               "open":\(price),"high":\(price),"low":\(price),"close":\(price),
               "previous_close":\(price),
               "change":{"type":"number","description":"close minus previous_close (or the day's open on a first day)."},
               "change_pct":{"type":"number"},
               "day_volume":{"type":"integer","minimum":0},
               "oi":{"type":"integer","minimum":0},"bid":\(price),"ask":\(price)}}
            """)
        document.addSchema("QuoteList", """
            {"type":"object","additionalProperties":false,"required":["items","missing","as_of_offset"],
             "properties":{
               "items":{"type":"array","items":{"$ref":"#/components/schemas/Quote"}},
               "missing":{"type":"array","items":{"type":"integer"},"description":"Tokens asked for that have not ticked."},
               "as_of_offset":{"type":"integer","minimum":0}}}
            """)
        document.addSchema("CandleList", """
            {"type":"object","additionalProperties":false,"required":["token","resolution","items","as_of_offset"],
             "properties":{
               "token":{"type":"integer","minimum":0,"maximum":4294967295},
               "resolution":{"type":"string","enum":["1m","5m","15m","1h","1D"]},
               "items":{"type":"array","items":{"type":"object","additionalProperties":false,
                 "required":["time","open","high","low","close","volume"],
                 "properties":{"time":{"type":"integer","description":"Bar start, Unix seconds (UTC-aligned)."},
                   "open":\(price),"high":\(price),"low":\(price),"close":\(price),"volume":{"type":"integer","minimum":0}}}},
               "as_of_offset":{"type":"integer","minimum":0}}}
            """)
        document.addOperation(.get, "/quotes", """
            {"operationId":"getQuotes",\(access.security)"summary":"The latest quote (last tick and day OHLC, change, volume) of each token.",
              "parameters":[
                {"name":"tokens","in":"query","required":true,"schema":\(OpenAPISchema.instrumentTokenList(atMost: maxQuoteTokens)),
                 "description":"Comma-separated instrument tokens, at most \(maxQuoteTokens)."}],
              "responses":{\(access.responses)
                "200":{"description":"Quotes in the order asked; tokens without ticks are listed in missing.",
                       "content":{"application/json":{"schema":{"$ref":"#/components/schemas/QuoteList"}}}},
                "400":{"$ref":"#/components/responses/BadRequest"}}}
            """)
        document.addOperation(.get, "/candles", """
            {"operationId":"getCandles",\(access.security)"summary":"OHLCV bars of one instrument, oldest first; the open bar is included while it forms.",
              "parameters":[
                {"name":"token","in":"query","required":true,"schema":\(OpenAPISchema.instrumentToken)},
                {"name":"resolution","in":"query","required":true,"schema":{"type":"string","enum":["1m","5m","15m","1h","1D","D"]}},
                {"name":"from","in":"query","schema":\(OpenAPISchema.unixSeconds),"description":"Unix seconds, inclusive (bar start)."},
                {"name":"to","in":"query","schema":\(OpenAPISchema.unixSeconds),"description":"Unix seconds, exclusive (bar start); before from is an empty range."},
                {"name":"limit","in":"query","schema":{"type":"integer","minimum":1,"maximum":10000,"default":1000},
                 "description":"Keep the last limit bars of the range."}],
              "responses":{\(access.responses)
                "200":{"description":"The bars.","content":{"application/json":{"schema":{"$ref":"#/components/schemas/CandleList"}}}},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "404":{"$ref":"#/components/responses/NotFound"}}}
            """)
    }
}
