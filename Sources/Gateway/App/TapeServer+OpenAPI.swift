/// The OpenAPI description of the routes `TapeServer` registers itself; each area's pieces live beside its handlers.
extension TapeServer {
    /// Adds every route the server registers outside `InstrumentsAPI` (which describes its own reads) to `document`.
    static func describeRoutes(in document: inout OpenAPIDocument) {
        describeOperations(in: &document)
        describeUserRoutes(in: &document)
        describeInstrumentCommands(in: &document)
    }
}
