import JSON
#if canImport(Glibc)
import Glibc
#endif

/// A compiled JSON Schema (draft 2020-12), restricted to the subset Buurtboek's catalogue uses.
/// It knows nothing of events: it validates any JSON document.
public final class Schema: @unchecked Sendable {
    /// Keywords that only annotate, and those that validate. Anything else (except `x-`
    /// extensions) makes the schema unusable, so a schema never silently checks less than it says.
    static let annotations: Set<String> = ["$schema", "$id", "$comment", "title", "description",
                                           "default", "examples", "deprecated", "$defs"]
    static let validators: Set<String> = ["type", "properties", "required", "additionalProperties",
                                          "enum", "const", "pattern", "format", "minimum", "maximum",
                                          "minLength", "maxLength", "items", "minItems", "maxItems", "$ref"]

    public enum Format: String, Sendable { case dateTime = "date-time", date, uuid }

    var types: [String]? { didSet { kindMask = types.map(Schema.kindMask) } }
    /// The node kinds `types` admits, one bit per `JSONNode.Kind` raw value (and
    /// `integralDoubleBit`): checked per value, where comparing type names cost a string switch.
    private(set) var kindMask: UInt16?
    static let integralDoubleBit: UInt16 = 1 << 15
    var properties: [(name: String, schema: Schema)] = []
    var propertyIndex: [String: Schema] = [:]
    /// Property names as bytes, in `properties` order, for lookups without making Strings.
    var propertyKeys: [[UInt8]] = []
    /// Positions in `properties` of the required names, and required names not among them.
    var requiredPositions: [Int] = []
    var requiredElsewhere: [String] = []
    var required: [String] = []
    /// nil: any extra property is allowed; a schema: extras must match it; `.never`: none allowed.
    var additional: Schema?
    var rejectsEverything = false
    var enumValues: [JSONValue]?
    /// When every enum value is a string: their bytes, compared without touching JSONValue.
    var enumStrings: [[UInt8]]?
    var constValue: JSONValue?
    var pattern: Pattern?
    var format: Format?
    var minimum: Double?
    var maximum: Double?
    var minLength: Int?
    var maxLength: Int?
    var items: Schema?
    var minItems: Int?
    var maxItems: Int?
    var reference: Schema?
    /// Every annotation and `x-` keyword, for tools that describe the schema (`buurtboek types`).
    public private(set) var annotationsByKeyword: [String: JSONValue] = [:]

    public var propertyNames: [String] { properties.map(\.name) }

    /// The position in `propertyNames` of the property whose name is `key`'s bytes.
    @inline(__always)
    public func propertyPosition(_ key: UnsafeRawBufferPointer) -> Int? {
        for (i, name) in propertyKeys.enumerated() where name.count == key.count {
            if name.withUnsafeBytes({ memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) { return i }
        }
        return nil
    }
    public func property(_ name: String) -> Schema? { propertyIndex[name] ?? reference?.property(name) }
    public var requiredProperties: [String] { required + (reference?.requiredProperties ?? []) }
    public var allowsAdditionalProperties: Bool { additional == nil || !(additional!.rejectsEverything) }
    public func annotation(_ keyword: String) -> JSONValue? { annotationsByKeyword[keyword] }
    static func kindMask(_ types: [String]) -> UInt16 {
        func bit(_ kind: JSONNode.Kind) -> UInt16 { 1 << UInt16(kind.rawValue) }
        var mask: UInt16 = 0
        for type in types {
            switch type {
            case "null": mask |= bit(.null)
            case "boolean": mask |= bit(.false) | bit(.true)
            case "object": mask |= bit(.object)
            case "array": mask |= bit(.array)
            case "string": mask |= bit(.string)
            case "number": mask |= bit(.int) | bit(.uint) | bit(.double)
            case "integer": mask |= bit(.int) | bit(.uint) | integralDoubleBit
            default: break
            }
        }
        return mask
    }

    public var typeNames: [String] { types ?? reference?.typeNames ?? [] }
    public var enumeration: [JSONValue]? { enumValues ?? reference?.enumeration }

    private init() {}

    private static let never: Schema = {
        let s = Schema()
        s.rejectsEverything = true
        return s
    }()

    /// Compiles a schema document. `file` names it in errors.
    public static func compile(_ document: JSONValue, file: String) throws -> Schema {
        var pending: [(Schema, String, String)] = []
        let root = try compile(document, file: file, path: "", pending: &pending)
        // Resolve $ref after the whole document is compiled, so refs may point anywhere in $defs.
        let defs = document["$defs"]?.object ?? JSONObject()
        var compiledDefs: [String: Schema] = [:]
        for (name, def) in defs {
            compiledDefs[name] = try compile(def, file: file, path: "/$defs/\(name)", pending: &pending)
        }
        for (schema, ref, path) in pending {
            let prefix = "#/$defs/"
            guard ref.hasPrefix(prefix), let target = compiledDefs[String(ref.dropFirst(prefix.count))] else {
                throw SchemaError(file: file, path: path, message: "$ref \"\(ref)\" does not name an entry of this file's $defs (only \"#/$defs/NAME\" is supported)")
            }
            schema.reference = target
        }
        return root
    }

    private static func compile(_ value: JSONValue, file: String, path: String,
                                pending: inout [(Schema, String, String)]) throws -> Schema {
        if case .bool(let allowed) = value { return allowed ? Schema() : never }
        guard let object = value.object else {
            throw SchemaError(file: file, path: path, message: "a schema must be an object or a boolean, not \(value.kindName)")
        }
        let keywords = Keywords(object: object, file: file, path: path)
        let s = Schema()
        for (keyword, v) in object {
            if annotations.contains(keyword) || keyword.hasPrefix("x-") {
                s.annotationsByKeyword[keyword] = v
            } else if !validators.contains(keyword) {
                throw keywords.fail(keyword, "unsupported keyword \"\(keyword)\"; this validator implements only: \(validators.sorted().joined(separator: ", "))")
            }
        }
        if let t = object["type"] {
            let names = t.string.map { [$0] } ?? t.array?.compactMap(\.string)
            let known: Set = ["null", "boolean", "object", "array", "number", "integer", "string"]
            guard let names, !names.isEmpty, names.allSatisfy(known.contains) else {
                throw keywords.fail("type", "must be one of \(known.sorted()) or an array of them")
            }
            s.types = names
        }
        try compileObjectKeywords(keywords, into: s, pending: &pending)
        try compileValueKeywords(keywords, into: s, pending: &pending)
        return s
    }

    /// One schema object's keywords, with the refusals that name where they are.
    private struct Keywords {
        let object: JSONObject
        let file: String
        let path: String

        subscript(_ keyword: String) -> JSONValue? { object[keyword] }

        func fail(_ keyword: String, _ message: String) -> SchemaError {
            SchemaError(file: file, path: "\(path)/\(keyword)", message: message)
        }

        func count(_ keyword: String) throws -> Int? {
            guard let v = object[keyword] else { return nil }
            guard let n = v.int, n >= 0 else { throw fail(keyword, "must be a non-negative integer") }
            return Int(n)
        }

        func number(_ keyword: String) throws -> Double? {
            guard let v = object[keyword] else { return nil }
            guard let d = v.double else { throw fail(keyword, "must be a number") }
            return d
        }
    }

    /// properties, required and additionalProperties: what an object's members must be.
    private static func compileObjectKeywords(_ keywords: Keywords, into s: Schema, pending: inout [(Schema, String, String)]) throws {
        let (file, path) = (keywords.file, keywords.path)
        if let props = keywords["properties"] {
            guard let props = props.object else { throw keywords.fail("properties", "must be an object") }
            for (name, sub) in props {
                let compiled = try compile(sub, file: file, path: "\(path)/properties/\(name)", pending: &pending)
                s.properties.append((name, compiled))
                s.propertyIndex[name] = compiled
            }
        }
        if let req = keywords["required"] {
            guard let names = req.array?.compactMap(\.string), names.count == req.array!.count else {
                throw keywords.fail("required", "must be an array of strings")
            }
            s.required = names
        }
        s.propertyKeys = s.properties.map { Array($0.name.utf8) }
        for name in s.required {
            if let i = s.properties.firstIndex(where: { $0.name == name }), i < 64 {
                s.requiredPositions.append(i)
            } else {
                s.requiredElsewhere.append(name)
            }
        }
        if let extra = keywords["additionalProperties"] {
            s.additional = try compile(extra, file: file, path: "\(path)/additionalProperties", pending: &pending)
            if extra == .bool(true) { s.additional = nil }
        }
    }

    /// enum, const, pattern, format, the bounds, items and $ref: what a value must be.
    private static func compileValueKeywords(_ keywords: Keywords, into s: Schema, pending: inout [(Schema, String, String)]) throws {
        if let e = keywords["enum"] {
            guard let values = e.array, !values.isEmpty else { throw keywords.fail("enum", "must be a non-empty array") }
            s.enumValues = values
            let strings = values.compactMap(\.string)
            if strings.count == values.count { s.enumStrings = strings.map { Array($0.utf8) } }
        }
        s.constValue = keywords["const"]
        if let p = keywords["pattern"] {
            guard let text = p.string else { throw keywords.fail("pattern", "must be a string") }
            do { s.pattern = try Pattern(text) } catch let error as PatternError {
                throw keywords.fail("pattern", error.message)
            }
        }
        if let f = keywords["format"] {
            guard let name = f.string, let format = Format(rawValue: name) else {
                throw keywords.fail("format", "supported formats are date-time, date and uuid")
            }
            s.format = format
        }
        s.minimum = try keywords.number("minimum")
        s.maximum = try keywords.number("maximum")
        s.minLength = try keywords.count("minLength")
        s.maxLength = try keywords.count("maxLength")
        s.minItems = try keywords.count("minItems")
        s.maxItems = try keywords.count("maxItems")
        if let i = keywords["items"] {
            s.items = try compile(i, file: keywords.file, path: "\(keywords.path)/items", pending: &pending)
        }
        if let r = keywords["$ref"] {
            guard let ref = r.string else { throw keywords.fail("$ref", "must be a string") }
            pending.append((s, ref, "\(keywords.path)/$ref"))
        }
    }
}
