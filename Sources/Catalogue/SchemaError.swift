/// A schema that cannot be used: a keyword outside the supported subset, a malformed value,
/// an unresolvable reference. Reported loudly when the schema is loaded, never at validation.
public struct SchemaError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let path: String
    public let message: String
    public var description: String { "\(file): schema \(path.isEmpty ? "/" : path): \(message)" }
}

/// Why a value does not satisfy a schema: where (a JSON Pointer into the value) and which rule.
public struct ValidationFailure: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let rule: String
    public init(path: String, rule: String) {
        self.path = path
        self.rule = rule
    }
    public var description: String { "\(path.isEmpty ? "/" : path): \(rule)" }
}
