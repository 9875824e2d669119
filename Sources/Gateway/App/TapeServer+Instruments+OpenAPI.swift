import EventLog

/// The OpenAPI description of the catalog commands: `POST /instruments`, `PATCH` and `DELETE /instruments/{token}`,
/// and `POST /instruments/import` (`TapeServer+Instruments.swift`). All need the admin key, checked first.
extension TapeServer {
    static func describeInstrumentCommands(in document: inout OpenAPIDocument) {
        let (security, refusals) = (OpenAPIDocument.Access.keyWithRights.security, OpenAPIDocument.Access.keyWithRights.responses)
        let json = OpenAPIDocument.jsonContent
        let uint32 = #"{"type":"integer","minimum":0,"maximum":4294967295}"#
        // The Kite field names but the token: a POST sends the token and these (at least tradingsymbol and exchange),
        // a PATCH any of these (the path names the instrument).
        let fields = """
            "exchange_token":\(uint32.dropLast()),"description":"Default: instrument_token >> 8."},
            "tradingsymbol":{"type":"string","minLength":1},
            "name":{"type":"string","default":""},
            "expiry":{"type":["string","null"],"format":"date","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$","default":null},
            "strike":{"type":"number","minimum":0,"exclusiveMaximum":\(Int(Instrument.amountLimit)),"default":0},
            "tick_size":{"type":"number","minimum":0,"exclusiveMaximum":\(Int(Instrument.amountLimit)),"default":0.05},
            "lot_size":\(uint32.dropLast()),"default":1},
            "instrument_type":{"type":"string","default":"EQ"},
            "segment":{"type":"string","description":"Default: the exchange."},
            "exchange":{"type":"string","minLength":1},
            "last_price":{"description":"Accepted for compatibility with Kite's instrument master, and ignored."}
            """
        document.addSchema("NewInstrument", """
            {"type":"object","additionalProperties":false,"required":["instrument_token","tradingsymbol","exchange"],
             "properties":{"instrument_token":\(uint32),\(fields)}}
            """)
        document.addSchema("InstrumentChanges", """
            {"type":"object","additionalProperties":false,
             "description":"The fields to change; the others keep their values. The token cannot change: the path names the instrument.",
             "properties":{\(fields)}}
            """)
        document.addSchema("AppendedOffsets", """
            {"type":"object","additionalProperties":false,"required":["first_offset","last_offset"],
             "description":"The log offsets the command appended, folded into the catalog before this answer; nulls when it changed nothing.",
             "properties":{"first_offset":{"type":["integer","null"],"minimum":0},"last_offset":{"type":["integer","null"],"minimum":0}}}
            """)
        document.addSchema("ImportSummary", """
            {"type":"object","additionalProperties":false,
             "required":["listed","updated","delisted","unchanged","skipped","rejected","first_offset","last_offset"],
             "description":"The same diff as `tape import instruments`.",
             "properties":{
               "listed":{"type":"integer","minimum":0},
               "updated":{"type":"integer","minimum":0},
               "delisted":{"type":"integer","minimum":0},
               "unchanged":{"type":"integer","minimum":0},
               "skipped":{"type":"integer","minimum":0,"description":"Rows of exchanges outside the import's scope."},
               "rejected":{"type":"array","items":{"type":"object","additionalProperties":false,"required":["line","error"],
                 "properties":{"line":{"type":"integer","minimum":1},"error":{"type":"string"}}}},
               "first_offset":{"type":["integer","null"],"minimum":0},
               "last_offset":{"type":["integer","null"],"minimum":0}}}
            """)

        let token = #"{"name":"token","in":"path","required":true,"schema":\#(uint32)}"#
        document.addOperation(.post, "/instruments", """
            {"operationId":"listInstrument",\(security)"summary":"Lists an instrument (admin key only).",
              "requestBody":{"required":true,"content":\(json("NewInstrument"))},
              "responses":{\(refusals)
                "201":{"description":"Listed.","content":\(json("AppendedOffsets"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "409":{"$ref":"#/components/responses/Conflict"},
                "413":{"$ref":"#/components/responses/ContentTooLarge"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.patch, "/instruments/{token}", """
            {"operationId":"updateInstrument",\(security)"summary":"Changes an active instrument's fields (admin key only).",
              "parameters":[\(token)],
              "requestBody":{"required":true,"content":\(json("InstrumentChanges"))},
              "responses":{\(refusals)
                "200":{"description":"Updated, or nothing to change (null offsets).","content":\(json("AppendedOffsets"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "404":{"description":"No active instrument has this token.","content":\(json("Error"))},
                "413":{"$ref":"#/components/responses/ContentTooLarge"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.delete, "/instruments/{token}", """
            {"operationId":"delistInstrument",\(security)"summary":"Delists an active instrument (admin key only).",
              "parameters":[\(token)],
              "responses":{\(refusals)
                "200":{"description":"Delisted.","content":\(json("AppendedOffsets"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "404":{"description":"No active instrument has this token.","content":\(json("Error"))},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.post, "/instruments/import", """
            {"operationId":"importInstruments",\(security)"summary":"Imports a Kite instrument master CSV as a diff against the catalog (admin key only).",
              "parameters":[
                {"name":"exchange","in":"query","schema":{"type":"string"},
                 "description":"Comma-separated exchanges (e.g. NSE,NFO) the file is the whole master for: their instruments missing from it are delisted. Default: the exchanges in the file."}],
              "requestBody":{"required":true,"description":"A header line naming the columns (any order; last_price and extra columns are ignored), then one instrument a line.",
                "content":{"text/csv":{"schema":{"type":"string","minLength":1}}}},
              "responses":{\(refusals)
                "200":{"description":"What changed; rows that could not be read are listed, not fatal.","content":\(json("ImportSummary"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "413":{"$ref":"#/components/responses/ContentTooLarge"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
    }
}
