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
            return try number(text, key: key, integer: !types.contains("number"))
        }
        return .string(text)
    }
}

extension FieldValue {
    /// A number as a person types it, read only when it cannot be misread: digits, at most one
    /// decimal point, an optional sign. A comma, a space, or a point followed by exactly three
    /// digits is how Dutch writes thousands (1.500 is one thousand five hundred; 1500,00 has a
    /// decimal comma): refused with the spellings to use, never guessed.
    static func number(_ text: String, key: String, integer: Bool) throws -> JSONValue {
        let at = "--field \(key)=\(text)"
        let sign = text.first == "-" ? "-" : ""
        let body = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
        let groups = body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "." || $0 == "," || $0 == " " || $0 == "'" })
        let separated = groups.count > 1
        guard !body.isEmpty, groups.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
            throw FieldValueError("\(at): expected a number\(integer ? " (a whole number)" : ""), e.g. 1500\(integer ? "" : " or 1500.50")")
        }
        let plainDecimal = groups.count == 2 && body.contains(".") && groups[1].count != 3
        if separated && !plainDecimal {
            // The two ways a person may have meant it: every separator groups thousands, or
            // the last one is a decimal point.
            let thousands = sign + groups.joined()
            let last = groups.last!
            let fraction = last.count == 3 && last.hasSuffix("0") ? String(last.reversed().drop { $0 == "0" }.reversed()) : String(last)
            let decimal = sign + groups.dropLast().joined() + "." + (fraction.isEmpty ? "0" : fraction.count == 3 ? fraction + "0" : fraction)
            let ways: String
            if integer { ways = "write \(groups.count == 2 && last.count != 3 ? sign + groups.dropLast().joined() : thousands) (a whole number, no separators)" }
            else if last.count == 3 { ways = "write \(thousands) for thousands or \(decimal) for a fraction (a decimal point, no separators)" }
            else { ways = "write \(sign + groups.dropLast().joined()) or \(decimal) (a decimal point, no separators)" }
            throw FieldValueError("\(at): \(ways)")
        }
        if integer {
            guard groups.count == 1 else { throw FieldValueError("\(at): \(key) takes a whole number; leave out the fraction") }
            guard let i = Int64(text) else { throw FieldValueError("\(at): too large for a whole number") }
            return .int(i)
        }
        if groups.count == 1, let i = Int64(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else { throw FieldValueError("\(at): expected a number") }
        return .double(d)
    }
}

/// A `--field` that cannot be read: a usage error (exit 2 in the CLI, 400 from the server).
public struct FieldValueError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
