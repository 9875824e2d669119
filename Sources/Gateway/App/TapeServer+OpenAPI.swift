/// The OpenAPI description of the routes `TapeServer` registers itself; each area's pieces live beside its handlers.
extension TapeServer {
    /// Adds every route the server registers outside `InstrumentsAPI` (which describes its own reads) to `document`.
    static func describeRoutes(in document: inout OpenAPIDocument, readAccess: OpenAPIDocument.Access = .anyone) {
        describeOperations(in: &document)
        describeLiveRoutes(in: &document, readAccess: readAccess)
        describeUserRoutes(in: &document)
        describeInstrumentCommands(in: &document)
        describeRebuildRoutes(in: &document)
    }
}
