import JSON
import Threads
#if canImport(Glibc)
import Glibc
#endif

/// How personal a field is (DOMAIN.md): N non-personal, P pseudonymous id, I identifying
/// (including any free text), S special category. I and S fields form the record's personal section.
public enum DataClass: String, Sendable, CaseIterable {
    case n = "N", p = "P", i = "I", s = "S"
    public var isPersonal: Bool { self == .i || self == .s }
}

/// One version of one event type: its schema and what the ledger needs to know about its fields.
public final class EventType: @unchecked Sendable {
    public let name: String
    /// The name's UTF-8 bytes, made once: the type index's key.
    public let nameBytes: [UInt8]
    public let version: Int
    public let streamKind: StreamKind
    public let schema: Schema
    public let description: String
    /// The data class of every top-level field, in schema order.
    public let fields: [(name: String, dataClass: DataClass)]
    let classByName: [String: DataClass]

    init(name: String, version: Int, streamKind: StreamKind, schema: Schema, file: String) throws {
        self.name = name
        self.nameBytes = Array(name.utf8)
        self.version = version
        self.streamKind = streamKind
        self.schema = schema
        self.description = schema.annotation("description")?.string ?? ""
        guard schema.typeNames == ["object"], !schema.allowsAdditionalProperties else {
            throw SchemaError(file: file, path: "", message: "an event schema must be of type object with additionalProperties false, so that every field has a data class")
        }
        var fields: [(String, DataClass)] = []
        for name in schema.propertyNames {
            guard let text = schema.property(name)?.annotation("x-data-class")?.string,
                  let dataClass = DataClass(rawValue: text) else {
                throw SchemaError(file: file, path: "/properties/\(name)", message: "needs \"x-data-class\": one of N, P, I, S")
            }
            fields.append((name, dataClass))
        }
        self.fields = fields
        self.classByName = Dictionary(uniqueKeysWithValues: fields)
    }

    public func dataClass(of field: String) -> DataClass? { classByName[field] }

    /// Consents the subject resident must have given (and not withdrawn) for this event.
    public internal(set) var consentRules: [ConsentRule] = []
    /// This event erases its subject resident (crypto-shredding): `resident.erased`.
    public internal(set) var erasesSubject = false

    /// A small number unique to this type and version within its catalogue (0, 1, 2, ... in
    /// the order they were compiled): an index into arrays kept per type, where hashing the
    /// type once per event would cost more.
    public internal(set) var ordinal = 0

    /// The lifecycles of this type's stream kind that concern it, with the indices of the
    /// transitions that may apply: worked out once, when the catalogue loads.
    public internal(set) var lifecyclePlan: [(lifecycle: Lifecycle, transitions: [Int])] = []

    /// The machines of the stream itself (no instances) whose transitions name this type: an
    /// event of it may not occur before the step it follows in them. A "*" that lets any event
    /// of a stream pass orders nothing.
    public internal(set) var orderedLifecycles: [Lifecycle] = []

    /// The data class of the field named by `key`'s bytes (no String is made).
    @inline(__always)
    public func dataClass(ofKey key: UnsafeRawBufferPointer) -> DataClass? {
        schema.propertyPosition(key).map { fields[$0].dataClass }
    }
    public var hasPersonalFields: Bool { fields.contains { $0.dataClass.isPersonal } }
    public var qualifiedName: String { "\(name).v\(version)" }
}

/// A consent an event needs: `scope`, for the organisation named by `organisationField` when
/// given, and only when `when` holds.
public struct ConsentRule: Sendable {
    public let scope: String
    public let organisationField: String?
    public let when: Lifecycle.Guard?
}

/// The entities events belong to (referral, signal, resident, ...): how their stream ids look and
/// which lifecycles govern them.
public final class StreamKind: @unchecked Sendable {
    public let name: String
    public let idPattern: String
    let pattern: Pattern
    public internal(set) var lifecycles: [Lifecycle] = []

    init(name: String, idPattern: String) throws {
        self.name = name
        self.idPattern = idPattern
        self.pattern = try Pattern(idPattern)
    }

    public func accepts(streamBytes: UnsafeRawBufferPointer) -> Bool { pattern.matches(streamBytes) }
}

/// A catalogue that cannot be loaded.
public struct CatalogueError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The event catalogue in force: every type, its schema, its stream kind and the lifecycles.
///
/// A catalogue travels as one canonical JSON bundle, `{"catalogue": <catalogue.json>,
/// "schemas": {"<type>.v<N>": <schema>, ...}}`, so the ledger can store the exact catalogue
/// it validated with, and hash it.
public final class Catalogue: @unchecked Sendable {
    public let bundle: [UInt8]
    /// The bundle's `schemas` object, as canonical JSON.
    private let schemaBytes: [UInt8]
    public let streamKinds: [String: StreamKind]
    public let lifecycles: [String: Lifecycle]
    public let maxDataBytes: Int
    /// The neighbourhood register this catalogue brings (`areas` in catalogue.json), nil for a
    /// catalogue without one: its events' neighbourhoods are then only checked for their form.
    public let areas: AreaRegister?

    /// What catalogue.json says of a type, known without compiling its schema.
    struct TypeEntry {
        let name: String
        let kind: StreamKind
        let versions: [Int]
        let consentRules: [ConsentRule]
        let erasesSubject: Bool
    }
    let entries: [String: TypeEntry]

    /// Compiled types, made on first use: a command needs one or two of them, and compiling
    /// every schema would cost more than the rest of an append.
    private var compiled: [String: EventType] = [:]
    private let lock = Lock()

    /// A type name is a key of the ledger's type index (and part of a file name): at most 255
    /// bytes, printable, no slash.
    static func checkTypeName(_ name: String, file: String) throws {
        guard (1...255).contains(name.utf8.count), name.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F && $0 != 0x2F }) else {
            throw CatalogueError("\(file): /types/\(name): a type name must be 1 to 255 bytes, with no spaces, slashes or control characters")
        }
    }

    /// Reads `catalogue.json` and the schema files it names from `directory`, and checks all of
    /// it (every schema compiles, every lifecycle guard reads a non-personal field).
    public static func load(directory: String) throws -> Catalogue {
        let parser = JSONParser()
        func read(_ file: String) throws -> JSONValue {
            let path = directory + "/" + file
            guard let bytes = FileBytes.read(path) else { throw CatalogueError("\(path): cannot be read") }
            do { return try parser.value(bytes) } catch { throw CatalogueError("\(path): \(error)") }
        }
        let catalogue = try read("catalogue.json")
        guard let typeEntries = catalogue["types"]?.object else {
            throw CatalogueError("\(directory)/catalogue.json: needs a \"types\" object")
        }
        var files = JSONObject()
        let areaFiles = ["divisions", "crosswalks"].flatMap { list in
            (catalogue["areas"]?[list]?.array ?? []).enumerated().map { (list, $0.offset, $0.element) }
        }
        for (list, i, division) in areaFiles {
            guard let file = division["file"]?.string, !file.contains(".."), !file.hasPrefix("/") else {
                throw CatalogueError("\(directory)/catalogue.json: /areas/\(list)/\(i): file: needs a CSV file inside the schema directory")
            }
            guard let bytes = FileBytes.read(directory + "/" + file) else { throw CatalogueError("\(directory)/\(file): cannot be read") }
            guard let text = String(validating: bytes, as: UTF8.self) else { throw CatalogueError("\(directory)/\(file): not UTF-8 text") }
            files[file] = .string(text)
        }
        var schemas = JSONObject()
        for (name, entry) in typeEntries {
            try checkTypeName(name, file: directory + "/catalogue.json")
            for version in entry["versions"]?.array ?? [] {
                guard let v = version.int else { throw CatalogueError("\(directory)/catalogue.json: /types/\(name)/versions must hold integers") }
                schemas["\(name).v\(v)"] = try read("\(name).v\(v).json")
            }
        }
        var members: [(String, JSONValue)] = [("catalogue", catalogue), ("schemas", .object(schemas))]
        if !files.isEmpty { members.append(("files", .object(files))) }
        return try Catalogue(bundle: JSONWriter.canonical(.object(JSONObject(members))), checkEverything: true)
    }

    /// A catalogue sent as a bundle (to the team server, by an admin's `catalogue update`):
    /// written again in canonical form, so that it hashes as the same files loaded locally
    /// would, and checked in full, as `load` checks a directory.
    public static func received(bundle: [UInt8]) throws -> Catalogue {
        let value: JSONValue
        do { value = try JSONParser().value(bundle) } catch { throw CatalogueError("the catalogue bundle: \(error)") }
        return try Catalogue(bundle: JSONWriter.canonical(value), checkEverything: true)
    }

    /// Rebuilds a catalogue from its bundle, as stored in a ledger. A stored catalogue was
    /// checked in full when it was installed, so its schemas are compiled only when used.
    public convenience init(bundle: [UInt8]) throws {
        try self.init(bundle: bundle, checkEverything: false)
    }

    init(bundle: [UInt8], checkEverything: Bool) throws {
        self.bundle = bundle
        let parser = JSONParser()
        // The schemas are kept apart as their own canonical bytes: a type compiled later
        // parses them, not the register's files beside them (three times their size).
        let (catalogue, schemas, files): (JSONObject, [UInt8], [String: [UInt8]]) = try parser.parse(bundle) { root in
            guard let schemas = root["schemas"], schemas.kind == .object, let catalogue = root["catalogue"]?.value.object else {
                throw CatalogueError("catalogue bundle: needs \"catalogue\" and \"schemas\"")
            }
            var bytes: [UInt8] = []
            try schemas.writeCanonical(into: &bytes)
            var files: [String: [UInt8]] = [:]
            if let list = root["files"], list.kind == .object {
                for member in list.members where member.value.kind == .string { files[member.name] = Array(member.value.stringBytes) }
            }
            return (catalogue, bytes, files)
        }
        schemaBytes = schemas
        areas = try catalogue["areas"].map { definition in
            try AreaRegister(definition: definition, checked: checkEverything, file: { files[$0] })
        }
        let file = "catalogue.json"
        maxDataBytes = Int(catalogue["maxDataBytes"]?.int ?? 65_536)
        var kinds: [String: StreamKind] = [:]
        for (name, entry) in catalogue["streamKinds"]?.object ?? JSONObject() {
            guard let pattern = entry["idPattern"]?.string else {
                throw CatalogueError("\(file): /streamKinds/\(name) needs an idPattern")
            }
            do { kinds[name] = try StreamKind(name: name, idPattern: pattern) } catch let error as PatternError {
                throw CatalogueError("\(file): /streamKinds/\(name)/idPattern: \(error.message)")
            }
        }
        var entries: [String: TypeEntry] = [:]
        for (name, entry) in catalogue["types"]?.object ?? JSONObject() {
            try Catalogue.checkTypeName(name, file: file)
            guard let kindName = entry["streamKind"]?.string, let kind = kinds[kindName] else {
                throw CatalogueError("\(file): /types/\(name)/streamKind must name one of the streamKinds")
            }
            var rules: [ConsentRule] = []
            for (i, rule) in (entry["requiresConsent"]?.array ?? []).enumerated() {
                let at = "\(file): /types/\(name)/requiresConsent/\(i)"
                guard let scope = rule["scope"]?.string else { throw CatalogueError("\(at): needs a scope") }
                var condition: Lifecycle.Guard?
                if let w = rule["when"] {
                    guard let field = w["field"]?.string, let value = w["equals"] else { throw CatalogueError("\(at)/when: needs field and equals") }
                    let text = value.string ?? value.bool.map { $0 ? "true" : "false" } ?? value.int.map(String.init) ?? ""
                    condition = Lifecycle.Guard(field: field, equals: [text], notEquals: nil)
                }
                rules.append(ConsentRule(scope: scope, organisationField: rule["organisationField"]?.string, when: condition))
            }
            let versions = (entry["versions"]?.array ?? []).compactMap(\.int).map { Int($0) }
            guard !versions.isEmpty else { throw CatalogueError("\(file): /types/\(name)/versions must list at least one version") }
            entries[name] = TypeEntry(name: name, kind: kind, versions: versions.sorted(), consentRules: rules,
                                      erasesSubject: entry["effect"]?.string == "erase_subject")
        }
        self.entries = entries
        var lifecycles: [String: Lifecycle] = [:]
        for (name, entry) in catalogue["lifecycles"]?.object ?? JSONObject() {
            let lifecycle = try Lifecycle(name: name, definition: entry, streamKindOf: { entries[$0]?.kind.name }, kinds: kinds)
            lifecycles[name] = lifecycle
            kinds[lifecycle.streamKind]!.lifecycles.append(lifecycle)
        }
        self.streamKinds = kinds
        self.lifecycles = lifecycles
        if checkEverything {
            for name in entries.keys {
                for version in entries[name]!.versions { _ = try compile(name, version: version) }
            }
            for lifecycle in lifecycles.values {
                for t in lifecycle.transitions where t.event != "*" {
                    if let g = t.when, compiled["\(t.event).v\(entries[t.event]!.versions.last!)"]?.dataClass(of: g.field)?.isPersonal ?? true {
                        throw CatalogueError("\(file): /lifecycles/\(lifecycle.name): the guard field \(g.field) must be a non-personal field of \(t.event)")
                    }
                }
            }
        }
    }

    /// A type's schema, compiled on first use; nil when the catalogue has no such type or version.
    public func type(_ name: String, version: Int? = nil) -> EventType? {
        guard let entry = entries[name] else { return nil }
        let v = version ?? entry.versions.last!
        guard entry.versions.contains(v) else { return nil }
        return try? compile(name, version: v)
    }

    private func compile(_ name: String, version: Int) throws -> EventType {
        let key = "\(name).v\(version)"
        lock.lock()
        defer { lock.unlock() }
        if let type = compiled[key] { return type }
        let entry = entries[name]!
        let document: JSONValue = try JSONParser().parse(schemaBytes) { schemas in
            guard let schema = schemas[key] else { throw CatalogueError("\(key).json: missing from the catalogue") }
            return schema.value
        }
        let type = try EventType(name: name, version: version, streamKind: entry.kind,
                                 schema: try Schema.compile(document, file: "\(key).json"), file: "\(key).json")
        type.ordinal = compiled.count
        type.consentRules = entry.consentRules
        type.erasesSubject = entry.erasesSubject
        type.lifecyclePlan = entry.kind.lifecycles.compactMap { lifecycle in
            let indexes = lifecycle.transitionIndexes(for: name)
            return indexes.isEmpty ? nil : (lifecycle, indexes)
        }
        type.orderedLifecycles = type.lifecyclePlan.map(\.lifecycle).filter { $0.instanceBy.isEmpty && $0.names(name) }
        compiled[key] = type
        return type
    }

    /// The versions a type has, without compiling anything.
    public func versions(of name: String) -> [Int]? { entries[name]?.versions }

    public var typeNames: [String] { entries.keys.sorted() }
    public var typeCount: Int { entries.count }

    /// Every type and version, compiled: for listing the whole catalogue.
    public var types: [String: [Int: EventType]] {
        var out: [String: [Int: EventType]] = [:]
        for (name, entry) in entries {
            for version in entry.versions { out[name, default: [:]][version] = type(name, version: version) }
        }
        return out
    }
}

