import CSimdJSON

/// A JSON input that could not be parsed.
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { "malformed JSON: \(message)" }
}

/// Parses JSON with simdjson. One parser per thread: the nodes it hands out stay valid
/// only until its next `parse` call, which is what makes parsing allocation-free.
public final class JSONParser {
    private let handle: OpaquePointer

    public init() {
        guard let handle = bb_json_parser_new() else { fatalError("out of memory creating a JSON parser") }
        self.handle = handle
    }

    deinit { bb_json_parser_free(handle) }

    /// Parses `bytes` and passes the root to `body`; the root must not escape `body`.
    public func parse<R>(_ bytes: UnsafeRawBufferPointer, _ body: (JSONNode) throws -> R) throws -> R {
        var nodes: UnsafePointer<bb_json_node>? = nil
        var count = 0
        let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        let code = withUnsafePointer(to: 0 as CChar) { empty in
            bb_json_parse(handle, base ?? empty, bytes.count, &nodes, &count)
        }
        if code != 0 {
            throw JSONSyntaxError(message: String(cString: bb_json_error_message(code)))
        }
        return try body(JSONNode(nodes: nodes!, index: 0))
    }

    /// Parses `bytes` and returns the root, valid only until this parser's next parse: for a
    /// caller that owns the parser and parses one document at a time (a fold's lazy reads).
    public func document(_ bytes: UnsafeRawBufferPointer) throws -> JSONNode {
        try parse(bytes) { $0 }
    }

    public func parse<R>(_ bytes: [UInt8], _ body: (JSONNode) throws -> R) throws -> R {
        try bytes.withUnsafeBytes { try parse($0, body) }
    }

    public func parse<R>(_ text: String, _ body: (JSONNode) throws -> R) throws -> R {
        var text = text
        return try text.withUTF8 { try parse(UnsafeRawBufferPointer($0), body) }
    }

    /// Parses into an owned value: for small documents (schemas, the catalogue) only.
    public func value(_ bytes: [UInt8]) throws -> JSONValue {
        try parse(bytes) { $0.value }
    }
}
