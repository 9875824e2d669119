/// Every problem found in one configuration, reported together so one edit fixes them all.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Malformed flags and file lines first, then bad values in setting order, then cross-setting rules.
    public var problems: [ConfigurationProblem]

    public init(problems: [ConfigurationProblem]) { self.problems = problems }

    /// sysexits.h EX_CONFIG: the process exits with this when its configuration is invalid.
    public static let exitStatus: Int32 = 78
    /// EX_CONFIG (78).
    public var exitStatus: Int32 { Self.exitStatus }

    /// One problem per line, no stack trace.
    public var description: String { problems.map(\.message).joined(separator: "\n") }
}
