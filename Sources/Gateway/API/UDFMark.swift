/// A mark on a chart's bars (`/udf/marks`): an alert firing or an ML signal; a value.
public struct UDFMark: Sendable, Equatable {
    /// Unique among the marks of one answer (`alert-7-2`, `signal-120`).
    public var id: String
    /// Unix seconds.
    public var time: Int64
    /// A CSS color name or `#rrggbb`.
    public var color: String
    /// The tooltip.
    public var text: String
    /// One or two letters drawn in the mark.
    public var label: String

    public init(id: String, time: Int64, color: String, text: String, label: String) {
        self.id = id
        self.time = time
        self.color = color
        self.text = text
        self.label = label
    }
}
