import Synchronization

/// Gives every request an id, keeping a sane incoming `X-Request-Id` (so ids follow a request across services)
/// and echoing it on the response; immutable, usable from any thread.
public struct RequestIDMiddleware: Middleware {
    /// The header that carries the id both ways.
    public static let headerName = "X-Request-Id"
    private let generate: @Sendable () -> String
    private static let nextID = Atomic<UInt64>(.random(in: .min ... .max))

    /// Makes the middleware; inject `generate` for deterministic ids in tests.
    public init(generate: @escaping @Sendable () -> String = RequestIDMiddleware.makeRandomID) {
        self.generate = generate
    }

    /// A random-looking 16-hex-digit id, never repeated within the process.
    ///
    /// Ids correlate log lines, they guard nothing, so they need not be unpredictable: a counter from a random start,
    /// scrambled by the SplitMix64 finalizer (a bijection, so distinct counts give distinct ids), spares every request a
    /// getrandom(2) call, and writing the digits by hand spares the three allocations of `String(_:radix:)` and padding.
    @Sendable public static func makeRandomID() -> String {
        var value = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        value ^= value >> 31
        return String(unsafeUninitializedCapacity: 16) { digits in
            for index in 0..<16 {
                let nibble = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * index)) & 0x0F
                digits[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return 16
        }
    }

    /// Sets `context.requestID` and the response header.
    public func handle(_ request: HTTPRequest, context: RequestContext, reply: Reply, next: any Responder) {
        var context = context
        // An incoming id is trusted only if it is short and plain, since it lands in logs and response headers.
        let id: String
        if let incoming = request.headers[Self.headerName], (1...128).contains(incoming.utf8.count),
           incoming.utf8.allSatisfy({ $0.isTokenCharacter }) {
            id = incoming
        } else {
            id = generate()
        }
        context.requestID = id
        next.respond(to: request, context: context, reply: reply.map { response in
            var response = response
            response.headers.set(Self.headerName, id)
            return response
        })
    }
}
