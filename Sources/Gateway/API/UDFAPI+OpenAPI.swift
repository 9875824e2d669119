extension UDFAPI {
    /// Adds `/udf/*` to `document`. UDF answers errors as 200 with `{"s":"error","errmsg"}`,
    /// so every operation documents that shape beside its success shape.
    public static func describe(in document: inout OpenAPIDocument, access: OpenAPIDocument.Access = .anyone) {
        document.addSchema("UDFError", """
            {"type":"object","additionalProperties":false,"required":["s","errmsg"],
             "properties":{"s":{"const":"error"},"errmsg":{"type":"string"}}}
            """)
        document.addSchema("UDFSymbolInfo", """
            {"type":"object","required":["name","ticker","description","type","session","timezone","exchange","listed_exchange","format","pricescale","minmov"],
             "properties":{"name":{"type":"string"},"ticker":{"type":"string"},"full_name":{"type":"string"},"description":{"type":"string"},
               "type":{"type":"string","enum":["stock","index","futures","option"]},"session":{"type":"string"},"timezone":{"type":"string"},
               "exchange":{"type":"string"},"listed_exchange":{"type":"string"},"format":{"const":"price"},
               "pricescale":{"type":"integer","minimum":1},"minmov":{"type":"integer","minimum":1},
               "has_intraday":{"type":"boolean"},"intraday_multipliers":{"type":"array","items":{"type":"string"}},
               "has_daily":{"type":"boolean"},"supported_resolutions":{"type":"array","items":{"type":"string"}},
               "volume_precision":{"type":"integer"},"data_status":{"type":"string"},"instrument_token":{"type":"integer"},
               "expired":{"type":"boolean"},"expiration_date":{"type":"integer"}}}
            """)
        let symbol = #"{"name":"symbol","in":"query","required":true,"schema":{"type":"string"},"description":"EXCHANGE:TRADINGSYMBOL, or a bare TRADINGSYMBOL."}"#
        let range = #"{"name":"from","in":"query","schema":{"type":"integer"}},{"name":"to","in":"query","schema":{"type":"integer"}},{"name":"resolution","in":"query","schema":{"type":"string"}}"#
        func json(_ schema: String) -> String { #"{"application/json":{"schema":\#(schema)}}"# }
        let orError = { (schema: String) in ##"{"oneOf":[\##(schema),{"$ref":"#/components/schemas/UDFError"}]}"## }
        document.addOperation(.get, "/udf/config", """
            {"operationId":"udfConfig",\(access.security)"summary":"Datafeed configuration.",
              "responses":{\(access.responses)"200":{"description":"The configuration.","content":\(json(#"{"type":"object","required":["supported_resolutions","supports_search","supports_group_request","supports_marks","supports_timescale_marks","supports_time"]}"#))}}}
            """)
        document.addOperation(.get, "/udf/time", """
            {"operationId":"udfTime",\(access.security)"summary":"Server time, Unix seconds (a bare integer).",
              "responses":{\(access.responses)"200":{"description":"The time.","content":\(json(#"{"type":"integer"}"#))}}}
            """)
        document.addOperation(.get, "/udf/symbols", """
            {"operationId":"udfSymbol",\(access.security)"summary":"Symbol information.","parameters":[\(symbol)],
              "responses":{\(access.responses)"200":{"description":"The symbol, or an unknown_symbol error.","content":\(json(orError(##"{"$ref":"#/components/schemas/UDFSymbolInfo"}"##)))}}}
            """)
        document.addOperation(.get, "/udf/search", """
            {"operationId":"udfSearch",\(access.security)"summary":"Symbols matching a typed query.",
              "parameters":[{"name":"query","in":"query","schema":{"type":"string"}},{"name":"type","in":"query","schema":{"type":"string"}},
                {"name":"exchange","in":"query","schema":{"type":"string"}},{"name":"limit","in":"query","schema":{"type":"integer"}}],
              "responses":{\(access.responses)"200":{"description":"Matches, best first.","content":\(json(#"{"type":"array","items":{"type":"object","required":["symbol","full_name","description","exchange","ticker","type"]}}"#))}}}
            """)
        document.addOperation(.get, "/udf/history", """
            {"operationId":"udfHistory",\(access.security)"summary":"Bars in [from, to), or countback bars before to.",
              "parameters":[\(symbol),\(range),{"name":"countback","in":"query","schema":{"type":"integer","minimum":1}}],
              "responses":{\(access.responses)"200":{"description":"Columns of bars, no_data, or an error.","content":\(json(#"{"type":"object","required":["s"],"properties":{"s":{"enum":["ok","no_data","error"]},"t":{"type":"array","items":{"type":"integer"}},"o":{"type":"array","items":{"type":"number"}},"h":{"type":"array","items":{"type":"number"}},"l":{"type":"array","items":{"type":"number"}},"c":{"type":"array","items":{"type":"number"}},"v":{"type":"array","items":{"type":"integer"}},"errmsg":{"type":"string"}}}"#))}}}
            """)
        document.addOperation(.get, "/udf/marks", """
            {"operationId":"udfMarks",\(access.security)"summary":"Alert firings (for the key's user) and ML signals on the symbol.","parameters":[\(symbol),\(range)],
              "responses":{\(access.responses)"200":{"description":"Marks.","content":\(json(orError(#"{"type":"array","items":{"type":"object","required":["id","time","color","text","label"]}}"#)))}}}
            """)
        document.addOperation(.get, "/udf/timescale_marks", """
            {"operationId":"udfTimescaleMarks",\(access.security)"summary":"Listing, expiry and delisting of the instrument.","parameters":[\(symbol),\(range)],
              "responses":{\(access.responses)"200":{"description":"Marks.","content":\(json(orError(#"{"type":"array","items":{"type":"object","required":["id","time","color","label","tooltip"]}}"#)))}}}
            """)
        document.addOperation(.get, "/udf/quotes", """
            {"operationId":"udfQuotes",\(access.security)"summary":"Quotes of several symbols.",
              "parameters":[{"name":"symbols","in":"query","required":true,"schema":{"type":"string"}}],
              "responses":{\(access.responses)"200":{"description":"One entry per name asked.","content":\(json(orError(#"{"type":"object","required":["s","d"]}"#)))}}}
            """)
    }
}
