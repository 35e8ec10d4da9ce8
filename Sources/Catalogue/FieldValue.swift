import JSON
import TextFormats

/// A `--field key=value` value read as the schema types the field, so workers need not type
/// JSON: numbers, true/false (ja/nee too), comma-separated lists, an object as JSON. The CLI
/// reads `append`'s and `correct`'s fields with it, and the server a remote `correct`'s, so a
/// value means the same wherever it is typed.
public enum FieldValue {
    /// "key=value" split at its first "=".
    public static func split(_ field: String) throws -> (key: String, text: String) {
        guard let eq = field.firstIndex(of: "="), eq != field.startIndex else { throw FieldValueError("--field \(field): expected key=value") }
        return (String(field[..<eq]), String(field[field.index(after: eq)...]))
    }

    public static func parse(_ text: String, key: String, schema: Schema?) throws -> JSONValue {
        let types = schema?.typeNames ?? ["string"]
        if types.contains("array") {
            return .array(text.split(separator: ",").map { .string(String($0).trimmingWhitespace) })
        }
        if types.contains("object") {
            do { return try JSONParser().value(Array(text.utf8)) } catch {
                throw FieldValueError("--field \(key): the field holds an object; give it as JSON (\(error))")
            }
        }
        if types.contains("boolean") {
            switch text.lowercased() {
            case "true", "yes", "ja", "1": return .bool(true)
            case "false", "no", "nee", "0": return .bool(false)
            default: throw FieldValueError("--field \(key)=\(text): expected true or false")
            }
        }
        if types.contains("integer") || types.contains("number") {
            if let i = Int64(text) { return .int(i) }
            if let d = Double(text.replacing(",", with: ".")), d.isFinite { return .double(d) }
            throw FieldValueError("--field \(key)=\(text): expected a number")
        }
        return .string(text)
    }
}

/// A `--field` that cannot be read: a usage error (exit 2 in the CLI, 400 from the server).
public struct FieldValueError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
