import EventLog

/// A text frame the server sends a KiteTicker client; a value type, usable from any thread.
public enum KiteServerMessage: Hashable, Sendable {
    /// `{"type":"error","data":"..."}`: the official Python client hands `data` to its `on_error` callback.
    case error(String)

    /// Makes the error frame that explains `error` to the client.
    public init(_ error: KiteError) { self = .error(error.description) }

    /// The frame's JSON text.
    public var json: String {
        var text = JSONText()
        text.beginObject()
        switch self {
        case .error(let message):
            text.key("type")
            text.value("error")
            text.key("data")
            text.value(message)
        }
        text.endObject()
        return text.string
    }
}
