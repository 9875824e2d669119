/// JSON Schema fragments for the values several operations take, written once so that each stays exactly what the
/// server parses (schemathesis sends every value a schema allows, and none it refuses); constants, usable anywhere.
public enum OpenAPISchema {
    /// An instrument token as the catalog keeps it: a UInt32.
    public static let instrumentToken = #"{"type":"integer","minimum":0,"maximum":4294967295}"#

    /// A log-issued identifier (user, key, alert, firing number from 0): a UInt64.
    public static let identifier = #"{"type":"integer","minimum":0,"maximum":18446744073709551615}"#

    /// Whole Unix seconds as a query parameter: 0 up to `QueryParameters.maxSeconds`, where nanoseconds leave an Int64.
    public static let unixSeconds = #"{"type":"integer","minimum":0,"maximum":\#(QueryParameters.maxSeconds)}"#

    /// A comma-separated list of instrument tokens (1 to `count`, or any number when nil), each a decimal UInt32
    /// without leading zeros: what `QueryParameters.instrumentTokens(_:atMost:)` parses.
    public static func instrumentTokenList(atMost count: Int?) -> String {
        let more = count.map { "{0,\($0 - 1)}" } ?? "*"
        return #"{"type":"string","pattern":"^\#(decimalUInt32)(,\#(decimalUInt32))\#(more)$"}"#
    }

    /// A time as `Timestamp(iso8601:)` reads it: Unix seconds (a fraction to the nanosecond) or a UTC date or date and
    /// time, within the years whose nanoseconds fit an Int64. Days stop at 28 so that every match is a real date.
    public static let time = #"{"type":"string","pattern":"^(-?\#(decimalSeconds)(\\.[0-9]{1,9})?|(1[7-9][0-9]{2}|2[01][0-9]{2}|22[0-5][0-9])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?)?Z?)$","description":"Unix seconds, or a UTC time such as 2026-11-27T09:15:00Z or 2026-11-27."}"#

    /// 0 to 9223372035 in decimal, no leading zeros: whole seconds whose nanoseconds, fraction included, fit an Int64.
    private static let decimalSeconds = "(0|[1-9][0-9]{0,8}|[1-8][0-9]{9}|9[01][0-9]{8}|92[01][0-9]{7}|922[0-2][0-9]{6}"
        + "|9223[0-2][0-9]{5}|92233[0-6][0-9]{4}|922337[01][0-9]{3}|92233720[0-2][0-9]|922337203[0-5])"

    /// 0 to 4294967295 in decimal, no leading zeros: a pattern, since a string parameter cannot carry a maximum.
    /// Each alternative fixes a prefix of 4294967295 and allows anything below the next digit.
    private static let decimalUInt32 = "(0|[1-9][0-9]{0,8}|[1-3][0-9]{9}|4[01][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}"
        + "|4294[0-8][0-9]{5}|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[01][0-9]{2}|42949672[0-8][0-9]|429496729[0-5])"
}
