import Services

/// The OpenAPI description of `POST` and `GET /admin/projections/{name}/rebuild` (`TapeServer+Rebuild.swift`).
extension TapeServer {
    static func describeRebuildRoutes(in document: inout OpenAPIDocument) {
        let (security, refusals) = (OpenAPIDocument.Access.keyWithRights.security, OpenAPIDocument.Access.keyWithRights.responses)
        let names = ProjectionSetNames.json
        document.addSchema("ProjectionRebuild", """
            {"type":"object","additionalProperties":false,
             "required":["projection","version","mode","phase","next_offset","end_offset","started_at"],
             "properties":{
               "projection":{"type":"string","enum":\(names)},
               "version":{"type":"integer"},
               "mode":{"type":"string","enum":["swap","diff"]},
               "phase":{"type":"string","enum":["building","swapping","comparing","done","failed"],
                 "description":"building: the new build folds the log from offset 0 into its own database file while the live projection serves; swapping/comparing: the live runner is paused for the swap or the comparison; done or failed (then error says why, and the live projection is unchanged)."},
               "next_offset":{"type":"integer","minimum":0,"description":"How far the new build has folded."},
               "end_offset":{"type":"integer","minimum":0,"description":"The log's end when last looked at."},
               "started_at":{"type":"number","description":"Unix seconds."},
               "finished_at":{"type":"number","description":"Unix seconds."},
               "hash":{"type":"string","description":"The new build's content hash (a swap makes it the live one's)."},
               "error":{"type":"string"},
               "diff":{"type":"object","additionalProperties":false,
                 "required":["identical","offset","live_hash","rebuilt_hash","tables"],
                 "description":"Only for mode diff: the live tables against the new build, both folded through offset.",
                 "properties":{
                   "identical":{"type":"boolean"},
                   "offset":{"type":"integer","minimum":0},
                   "live_hash":{"type":"string"},
                   "rebuilt_hash":{"type":"string"},
                   "tables":{"type":"array","items":{"type":"object","additionalProperties":false,
                     "required":["name","live_rows","rebuilt_rows","only_in_live","only_in_rebuilt","samples_only_in_live","samples_only_in_rebuilt"],
                     "properties":{
                       "name":{"type":"string"},
                       "live_rows":{"type":"integer","minimum":0},
                       "rebuilt_rows":{"type":"integer","minimum":0},
                       "only_in_live":{"type":"integer","minimum":0},
                       "only_in_rebuilt":{"type":"integer","minimum":0},
                       "samples_only_in_live":{"type":"array","items":{"type":"string"},"description":"Up to 5 rows as column=value pairs."},
                       "samples_only_in_rebuilt":{"type":"array","items":{"type":"string"}}}}}}}}}
            """)
        let json = OpenAPIDocument.jsonContent
        let name = #"{"name":"name","in":"path","required":true,"schema":{"type":"string","enum":\#(names)}}"#
        document.addOperation(.post, "/admin/projections/{name}/rebuild", """
            {"operationId":"rebuildProjection",\(security)"summary":"Rebuilds a projection from offset 0 without downtime (admin key only).",
              "description":"The new build folds the whole log into a database file of its own while the live projection keeps serving; once it has caught up with the head, the live runner pauses, the new tables and checkpoint replace the old in one transaction, and the runner resumes from them. With diff=true nothing is swapped: the answer, when done, reports what differs. Progress: GET on the same path, or /health under the projection.",
              "parameters":[\(name),
                {"name":"diff","in":"query","required":false,"schema":{"type":"string","enum":["true","false","1","0"],"default":"false"}}],
              "responses":{\(refusals)
                "202":{"description":"Started; the status as it begins. Location names the status URL.","content":\(json("ProjectionRebuild"))},
                "400":{"$ref":"#/components/responses/BadRequest"},
                "404":{"$ref":"#/components/responses/NotFound"},
                "409":{"$ref":"#/components/responses/Conflict"},
                "503":{"$ref":"#/components/responses/ServiceUnavailable"}}}
            """)
        document.addOperation(.get, "/admin/projections/{name}/rebuild", """
            {"operationId":"getProjectionRebuild",\(security)"summary":"The running or last rebuild of a projection since the server started (admin key only).",
              "parameters":[\(name)],
              "responses":{\(refusals)
                "200":{"description":"Its status.","content":\(json("ProjectionRebuild"))},
                "404":{"$ref":"#/components/responses/NotFound"}}}
            """)
    }
}

/// The projection names as a JSON array, for the schemas.
private enum ProjectionSetNames {
    static let json = "[" + ProjectionSet.names.map { "\"\($0)\"" }.joined(separator: ",") + "]"
}
