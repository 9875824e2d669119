extension InstrumentsAPI {
    /// Adds the instruments reads and their schemas to `document`; kept beside the handlers so the two change together.
    /// `access` says who the server lets read them (anyone, unless public reads are off).
    ///
    /// Objects are closed (`additionalProperties: false`) and every field is required, because the handlers always
    /// write every field; nullable fields say so with a type list, as JSON Schema 2020-12 does.
    public static func describe(in document: inout OpenAPIDocument, access: OpenAPIDocument.Access = .anyone) {
        document.addSchema("Instrument", """
            {"type":"object","additionalProperties":false,
             "required":["instrument_token","exchange_token","tradingsymbol","name","expiry","strike","tick_size",
                         "lot_size","instrument_type","segment","exchange","active","listed_at","updated_at","delisted_at"],
             "properties":{
               "instrument_token":{"type":"integer","minimum":0,"maximum":4294967295},
               "exchange_token":{"type":"integer","minimum":0,"maximum":4294967295},
               "tradingsymbol":{"type":"string"},
               "name":{"type":"string"},
               "expiry":{"type":["string","null"],"format":"date"},
               "strike":{"type":"number"},
               "tick_size":{"type":"number"},
               "lot_size":{"type":"integer","minimum":0,"maximum":4294967295},
               "instrument_type":{"type":"string"},
               "segment":{"type":"string"},
               "exchange":{"type":"string"},
               "active":{"type":"boolean","description":"False once delisted; a later listing makes it active again."},
               "listed_at":{"type":"number","description":"When the listing that made it active was logged, Unix seconds."},
               "updated_at":{"type":"number","description":"When its fields last changed, Unix seconds."},
               "delisted_at":{"type":["number","null"],"description":"When it was delisted, Unix seconds; null while active."}}}
            """)
        document.addSchema("InstrumentPage", """
            {"type":"object","additionalProperties":false,"required":["total","items","next_cursor","as_of_offset"],
             "properties":{
               "total":{"type":"integer","minimum":0,"description":"How many instruments match the filter, over all pages."},
               "items":{"type":"array","items":{"$ref":"#/components/schemas/Instrument"}},
               "next_cursor":{"type":["string","null"],"description":"Pass as cursor for the next page; null on the last page."},
               "as_of_offset":{"type":"integer","minimum":0,"description":"The log offset the answer reflects (the first one not applied)."}}}
            """)
        document.addSchema("InstrumentSearchResult", """
            {"type":"object","additionalProperties":false,"required":["items"],
             "properties":{"items":{"type":"array","items":{"$ref":"#/components/schemas/Instrument"}}}}
            """)
        document.addSchema("Counts", """
            {"type":"object","additionalProperties":{"type":"integer","minimum":0}}
            """)
        document.addSchema("InstrumentStats", """
            {"type":"object","additionalProperties":false,
             "required":["total_active","by_exchange","by_segment","by_type","today","expiring_today","expiring_this_week","as_of_offset"],
             "properties":{
               "total_active":{"type":"integer","minimum":0},
               "by_exchange":{"$ref":"#/components/schemas/Counts"},
               "by_segment":{"$ref":"#/components/schemas/Counts"},
               "by_type":{"$ref":"#/components/schemas/Counts"},
               "today":{"type":"string","format":"date","description":"The day the expiry counts are for (UTC)."},
               "expiring_today":{"type":"integer","minimum":0},
               "expiring_this_week":{"type":"integer","minimum":0,"description":"Expiring from today through Sunday (ISO week)."},
               "as_of_offset":{"type":"integer","minimum":0}}}
            """)

        let date = #"{"type":"string","format":"date","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}"#
        let (security, refusals) = (access.security, access.responses)
        document.addOperation(.get, "/instruments/list", """
            {"operationId":"listInstruments",\(security)"summary":"One page of the filtered instruments, ordered by tradingsymbol then instrument_token.",
              "parameters":[
                {"name":"exchange","in":"query","schema":{"type":"string"},"description":"Exact exchange, e.g. NSE."},
                {"name":"segment","in":"query","schema":{"type":"string"},"description":"Exact segment, e.g. NFO-OPT."},
                {"name":"type","in":"query","schema":{"type":"string"},"description":"Exact instrument_type, e.g. EQ, FUT, CE, PE."},
                {"name":"q","in":"query","schema":{"type":"string"},"description":"Case-insensitive substring of tradingsymbol or name."},
                {"name":"active","in":"query","schema":{"type":"string","enum":["true","false","any"],"default":"true"},
                 "description":"true: active only; false: delisted only; any: both."},
                {"name":"expiry_from","in":"query","schema":\(date),"description":"Inclusive; instruments without expiry never match."},
                {"name":"expiry_to","in":"query","schema":\(date),"description":"Inclusive; instruments without expiry never match."},
                {"name":"limit","in":"query","schema":{"type":"integer","minimum":1,"maximum":1000,"default":50}},
                {"name":"cursor","in":"query","schema":{"type":"string"},
                 "description":"next_cursor of the previous page, unchanged; pages stay on that page's snapshot. Not with offset."},
                {"name":"offset","in":"query","schema":{"type":"integer","minimum":0,"maximum":1000000000},
                 "description":"Skip this many matches; costs about offset/1000 catalog pages. Not with cursor."}],
              "responses":{\(refusals)
                "200":{"description":"A page.","content":{"application/json":{"schema":{"$ref":"#/components/schemas/InstrumentPage"}}}},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "410":{"$ref":"#/components/responses/Gone"}}}
            """)
        document.addOperation(.get, "/instruments/stats", """
            {"operationId":"instrumentStats",\(security)"summary":"Counts over the active instruments.",
              "responses":{\(refusals)
                "200":{"description":"The counts.","content":{"application/json":{"schema":{"$ref":"#/components/schemas/InstrumentStats"}}}},
                "400":{"$ref":"#/components/responses/BadRequest"}}}
            """)
        document.addOperation(.get, "/instruments/search", """
            {"operationId":"searchInstruments",\(security)"summary":"Active instruments ranked for typing: exact symbol, then prefix, then substring.",
              "parameters":[
                {"name":"q","in":"query","required":true,"schema":{"type":"string","minLength":1}},
                {"name":"limit","in":"query","schema":{"type":"integer","minimum":1,"maximum":100,"default":30}}],
              "responses":{\(refusals)
                "200":{"description":"The best matches.","content":{"application/json":{"schema":{"$ref":"#/components/schemas/InstrumentSearchResult"}}}},
                "400":{"$ref":"#/components/responses/BadRequest"}}}
            """)
        document.addOperation(.get, "/instruments/{token}", """
            {"operationId":"getInstrument",\(security)"summary":"One instrument by instrument_token, active or delisted.",
              "parameters":[
                {"name":"token","in":"path","required":true,"schema":{"type":"integer","minimum":0,"maximum":4294967295}}],
              "responses":{\(refusals)
                "200":{"description":"The instrument.","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Instrument"}}}},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "404":{"$ref":"#/components/responses/NotFound"}}}
            """)
    }
}
