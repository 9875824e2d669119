import Foundation
import Glibc

/// The hash `tape` printed after `hash `.
func printedHash(_ output: String) -> String? {
    guard let range = output.range(of: "hash ") else { return nil }
    return String(output[range.upperBound...].prefix { $0.isHexDigit })
}
