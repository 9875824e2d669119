/// The OpenAPI description of `POST /users`, `POST /users/{id}/keys`, `DELETE /keys/{id}` and `GET /log/stats`
/// (`TapeServer+Users.swift`). Each checks the key first, so a request without one is a 401 whatever else is wrong.
extension TapeServer {
    static func describeUserRoutes(in document: inout OpenAPIDocument) {
        let (security, refusals) = (OpenAPIDocument.Access.keyWithRights.security, OpenAPIDocument.Access.keyWithRights.responses)
        let id = OpenAPISchema.identifier
        document.addSchema("NewUser", """
            {"type":"object","required":["name"],
             "description":"Other fields are ignored.",
             "properties":{
               "name":{"type":"string","minLength":1,"maxLength":200},
               "admin":{"type":"boolean","default":false,"description":"Whether the user's keys are admin keys."}}}
            """)
        document.addSchema("User", """
            {"type":"object","additionalProperties":false,"required":["id","name","admin","offset"],
             "properties":{
               "id":\(id),
               "name":{"type":"string"},
               "admin":{"type":"boolean"},
               "offset":{"type":"integer","minimum":0,"description":"The log offset of the event that created the user."}}}
            """)
        document.addSchema("NewKey", """
            {"type":"object","description":"Other fields are ignored; no body at all is the same as {}.",
             "properties":{"label":{"type":"string","maxLength":200,"default":"","description":"What the key is for."}}}
            """)
        document.addSchema("IssuedKey", """
            {"type":"object","additionalProperties":false,"required":["key_id","user_id","label","key","offset"],
             "properties":{
               "key_id":\(id),
               "user_id":\(id),
               "label":{"type":"string"},
               "key":{"type":"string","description":"The key itself, shown this once: only its salted hash is kept."},
               "offset":{"type":"integer","minimum":0}}}
            """)
        document.addSchema("RevokedKey", """
            {"type":"object","additionalProperties":false,"required":["key_id","revoked","offset"],
             "properties":{"key_id":\(id),"revoked":{"const":true},"offset":{"type":"integer","minimum":0}}}
            """)
        document.addSchema("LogStats", """
            {"type":"object","additionalProperties":false,
             "required":["segments","events","bytes_on_disk","raw_bytes","ratio","first_offset","last_offset","first_time","last_time"],
             "description":"What `tape log stats --json` prints.",
             "properties":{
               "segments":{"type":"integer","minimum":0},
               "events":{"type":"integer","minimum":0},
               "bytes_on_disk":{"type":"integer","minimum":0},
               "raw_bytes":{"type":"integer","minimum":0,"description":"The batches' size before compression."},
               "ratio":{"type":"number","minimum":0,"description":"raw_bytes / bytes_on_disk, to three decimals; 0 for an empty log."},
               "first_offset":{"type":["integer","null"],"minimum":0},
               "last_offset":{"type":["integer","null"],"minimum":0},
               "first_time":{"type":["number","null"],"description":"Unix seconds."},
               "last_time":{"type":["number","null"],"description":"Unix seconds."}}}
            """)

        let json = OpenAPIDocument.jsonContent
        let written = "The command is durable in the log and folded: what it made can be used by the next request."
        document.addOperation(.post, "/users", """
            {"operationId":"createUser",\(security)"summary":"Creates a user (admin key only).",
              "requestBody":{"required":true,"content":\(json("NewUser"))},
              "responses":{\(refusals)
                "201":{"description":"\(written)","content":\(json("User"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "413":{"$ref":"#/components/responses/ContentTooLarge"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.post, "/users/{id}/keys", """
            {"operationId":"issueKey",\(security)"summary":"Issues a key to a user (the admin key, or one of that user's keys).",
              "parameters":[{"name":"id","in":"path","required":true,"schema":\(id)}],
              "requestBody":{"required":false,"content":\(json("NewKey"))},
              "responses":{\(refusals)
                "201":{"description":"\(written)","content":\(json("IssuedKey"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "404":{"$ref":"#/components/responses/NotFound"},
                "413":{"$ref":"#/components/responses/ContentTooLarge"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.delete, "/keys/{id}", """
            {"operationId":"revokeKey",\(security)"summary":"Revokes a key (the admin key, or one of its owner's keys); it stops working at once.",
              "parameters":[{"name":"id","in":"path","required":true,"schema":\(id)}],
              "responses":{\(refusals)
                "200":{"description":"\(written)","content":\(json("RevokedKey"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "404":{"$ref":"#/components/responses/NotFound"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.get, "/log/stats", """
            {"operationId":"logStats",\(security)"summary":"Statistics of the event log's segments (admin key only).",
              "responses":{\(refusals)
                "200":{"description":"The statistics.","content":\(json("LogStats"))},
                "500":{"description":"The log's files could not be read.","content":\(json("Error"))}}}
            """)
    }
}
