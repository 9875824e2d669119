/// What became of a message handed to a connection from another thread; a value type, usable from any thread.
public enum SendResult: Sendable, Equatable {
    /// Queued for the connection's loop to write.
    case queued
    /// Dropped: the connection's bounded outgoing queue is full (the peer reads too slowly).
    case queueFull
    /// Dropped: the connection is closed or closing.
    case closed
}
