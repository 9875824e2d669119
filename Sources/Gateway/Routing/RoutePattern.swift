/// A route path such as `/instruments/{token}`: literal segments and named parameters; a value type, usable from any thread.
struct RoutePattern: Sendable, Equatable, CustomStringConvertible {
    /// One path segment of a pattern; a value, usable from any thread.
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    let segments: [Segment]

    /// Makes a pattern from segments.
    init(segments: [Segment]) {
        self.segments = segments
    }

    /// Parses a pattern; `{name}` segments capture, everything else must match exactly.
    init(_ pattern: String) {
        segments = pattern.split(separator: "/").map { part in
            if part.hasPrefix("{"), part.hasSuffix("}"), part.count > 2 {
                .parameter(String(part.dropFirst().dropLast()))
            } else {
                .literal(String(part))
            }
        }
    }

    /// The captured parameters if the path matches, percent-decoded; nil otherwise. Empty segments are ignored,
    /// so `/a/b/` matches like `/a/b`.
    func match(_ path: String) -> [String: String]? {
        match(segments: path.split(separator: "/"))
    }

    /// `match(_:)` for a path already split at `/` with empty segments dropped, so a router splits once per request.
    func match(segments parts: [Substring]) -> [String: String]? {
        guard parts.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal):
                guard part == literal else { return nil }
            case .parameter(let name):
                parameters[name] = part.percentDecoded(plusAsSpace: false) ?? String(part)
            }
        }
        return parameters
    }

    /// Whether both patterns match the same paths: the same literals in the same places, parameters (whatever
    /// their names) in the same places. Routes of one shape are methods of one resource.
    func hasSameShape(as other: RoutePattern) -> Bool {
        segments.count == other.segments.count && zip(segments, other.segments).allSatisfy { mine, theirs in
            switch (mine, theirs) {
            case (.literal(let a), .literal(let b)): a == b
            case (.parameter, .parameter): true
            default: false
            }
        }
    }

    /// 0 for each literal segment and 1 for each parameter: sorting by this key (lexicographically) puts, of two
    /// patterns that can match the same path, the one with a literal where the other has a parameter first.
    var specificityKey: [Int] {
        segments.map { if case .literal = $0 { 0 } else { 1 } }
    }

    /// The pattern as written, for logs.
    var description: String {
        "/" + segments.map { segment in
            switch segment {
            case .literal(let text): text
            case .parameter(let name): "{\(name)}"
            }
        }.joined(separator: "/")
    }
}
