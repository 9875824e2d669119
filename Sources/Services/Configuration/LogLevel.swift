/// How much the server logs; each level includes the ones after it.
public enum LogLevel: String, CaseIterable, Comparable, Sendable {
    case debug, info, warn, error

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
