import JSON
#if canImport(Glibc)
import Glibc
#endif

extension Schema {
    /// Checks `node` against this schema. Returns the first failure, its path a JSON Pointer
    /// relative to `node`; nil when the value is valid. Paths are built only on failure.
    /// As `validate`, for a top-level object some of whose fields are held elsewhere (sealed):
    /// those count as present for `required`.
    public func validate(_ node: JSONNode, presentElsewhere: [String]) -> ValidationFailure? {
        guard !presentElsewhere.isEmpty, node.kind == .object else { return validate(node) }
        if let failure = validate(node), !(failure.rule == "is required" && presentElsewhere.contains(String(failure.path.dropFirst()))) {
            return failure
        }
        // A required field was found missing but is sealed: check the rest field by field.
        for member in node.members {
            guard let i = propertyPosition(member.key.stringBytes) else { continue }
            if let failure = properties[i].schema.validate(member.value) { return failure.under("/\(Schema.escape(member.name))") }
        }
        for i in requiredPositions where node[properties[i].name] == nil && !presentElsewhere.contains(properties[i].name) {
            return ValidationFailure(path: "/\(Schema.escape(properties[i].name))", rule: "is required")
        }
        return nil
    }

    /// Every failure of a top-level object, one per field (each field's first), for a refusal
    /// that names all that is wrong with an event at once. Called only once `validate` found
    /// one: valid events never pay for it.
    public func failures(_ node: JSONNode, presentElsewhere: [String] = []) -> [ValidationFailure] {
        guard node.kind == .object, !properties.isEmpty || additional != nil else { return validate(node).map { [$0] } ?? [] }
        var found: [ValidationFailure] = []
        for member in node.members {
            if let i = propertyPosition(member.key.stringBytes) {
                if let failure = properties[i].schema.validate(member.value) { found.append(failure.under("/\(Schema.escape(member.name))")) }
            } else if let additional {
                if additional.rejectsEverything {
                    let known = properties.map(\.name).joined(separator: ", ")
                    found.append(ValidationFailure(path: "/\(Schema.escape(member.name))", rule: "is not a known field (known: \(known))"))
                } else if let failure = additional.validate(member.value) {
                    found.append(failure.under("/\(Schema.escape(member.name))"))
                }
            }
        }
        for i in requiredPositions where node[properties[i].name] == nil && !presentElsewhere.contains(properties[i].name) {
            found.append(ValidationFailure(path: "/\(Schema.escape(properties[i].name))", rule: "is required"))
        }
        for name in requiredElsewhere where node[name] == nil && !presentElsewhere.contains(name) {
            found.append(ValidationFailure(path: "/\(Schema.escape(name))", rule: "is required"))
        }
        if found.isEmpty, let failure = validate(node, presentElsewhere: presentElsewhere) { found.append(failure) }
        return found
    }

    public func validate(_ node: JSONNode) -> ValidationFailure? {
        if rejectsEverything { return ValidationFailure(path: "", rule: "is not allowed here") }
        if let reference, let failure = reference.validate(node) { return failure }
        if let kindMask, kindMask & (1 << UInt16(node.kind.rawValue)) == 0,
           !(kindMask & Schema.integralDoubleBit != 0 && node.kind == .double && node.int != nil) {
            return ValidationFailure(path: "", rule: "must be \((types ?? []).joined(separator: " or ")), not \(node.kind.name)")
        }
        if let constValue, !Schema.node(node, equals: constValue) {
            return ValidationFailure(path: "", rule: "must be \(JSONWriter.ordered(constValue))")
        }
        if let enumStrings {
            if !(node.kind == .string && Schema.bytes(node.stringBytes, in: enumStrings)) {
                let shown = enumValues!.map { JSONWriter.ordered($0) }.joined(separator: ", ")
                return ValidationFailure(path: "", rule: "must be one of \(shown)")
            }
        } else if let enumValues, !enumValues.contains(where: { Schema.node(node, equals: $0) }) {
            let shown = enumValues.map { JSONWriter.ordered($0) }.joined(separator: ", ")
            return ValidationFailure(path: "", rule: "must be one of \(shown)")
        }
        switch node.kind {
        case .string: return validateString(node)
        case .int, .uint, .double: return validateNumber(node)
        case .array: return validateArray(node)
        case .object: return validateObject(node)
        default: return nil
        }
    }

    private func validateString(_ node: JSONNode) -> ValidationFailure? {
        let bytes = node.stringBytes
        if minLength != nil || maxLength != nil {
            // JSON Schema counts characters (code points): every byte that does not continue one.
            var length = 0
            for b in bytes where b & 0xC0 != 0x80 { length += 1 }
            if let minLength, length < minLength {
                return ValidationFailure(path: "", rule: "must be at least \(minLength) characters long")
            }
            if let maxLength, length > maxLength {
                return ValidationFailure(path: "", rule: "must be at most \(maxLength) characters long")
            }
        }
        if let pattern, !pattern.matches(bytes) {
            return ValidationFailure(path: "", rule: "must match the pattern \(pattern.source)")
        }
        if let format, !Formats.matches(format, bytes) {
            return ValidationFailure(path: "", rule: "must be a valid \(format.rawValue) (\(Formats.example(format)))")
        }
        return nil
    }

    private func validateNumber(_ node: JSONNode) -> ValidationFailure? {
        guard let value = node.double else { return nil }
        if let minimum, value < minimum {
            return ValidationFailure(path: "", rule: "must be at least \(JSONWriter.ordered(.double(minimum)))")
        }
        if let maximum, value > maximum {
            return ValidationFailure(path: "", rule: "must be at most \(JSONWriter.ordered(.double(maximum)))")
        }
        return nil
    }

    private func validateArray(_ node: JSONNode) -> ValidationFailure? {
        if let minItems, node.count < minItems {
            return ValidationFailure(path: "", rule: "must have at least \(minItems) items")
        }
        if let maxItems, node.count > maxItems {
            return ValidationFailure(path: "", rule: "must have at most \(maxItems) items")
        }
        if let items {
            for (i, element) in node.elements.enumerated() {
                if let failure = items.validate(element) { return failure.under("/\(i)") }
            }
        }
        return nil
    }

    private func validateObject(_ node: JSONNode) -> ValidationFailure? {
        var seen: UInt64 = 0
        for member in node.members {
            if let i = propertyPosition(member.key.stringBytes) {
                if i < 64 { seen |= 1 << UInt64(i) }
                if let failure = properties[i].schema.validate(member.value) {
                    return failure.under("/\(Schema.escape(member.name))")
                }
            } else if let additional {
                if additional.rejectsEverything {
                    let known = properties.map(\.name).joined(separator: ", ")
                    return ValidationFailure(path: "/\(Schema.escape(member.name))", rule: "is not a known field (known: \(known))")
                }
                if let failure = additional.validate(member.value) { return failure.under("/\(Schema.escape(member.name))") }
            }
        }
        for i in requiredPositions where seen & (1 << UInt64(i)) == 0 {
            return ValidationFailure(path: "/\(Schema.escape(properties[i].name))", rule: "is required")
        }
        for name in requiredElsewhere where node[name] == nil {
            return ValidationFailure(path: "/\(Schema.escape(name))", rule: "is required")
        }
        return nil
    }

    @inline(__always)
    static func bytes(_ value: UnsafeRawBufferPointer, in candidates: [[UInt8]]) -> Bool {
        for candidate in candidates where candidate.count == value.count {
            if candidate.withUnsafeBytes({ memcmp($0.baseAddress!, value.baseAddress!, value.count) == 0 }) { return true }
        }
        return false
    }

    static func escape(_ name: String) -> String {
        name.replacing("~", with: "~0").replacing("/", with: "~1")
    }

    static func node(_ node: JSONNode, equals value: JSONValue) -> Bool {
        switch value {
        case .string(var s):
            return node.kind == .string && s.withUTF8 { node.stringBytes.elementsEqual(UnsafeRawBufferPointer($0)) }
        case .int, .double: return node.double == value.double
        case .bool(let b): return node.bool == b
        case .null: return node.kind == .null
        default: return node.value == value
        }
    }
}

extension ValidationFailure {
    func under(_ component: String) -> ValidationFailure {
        ValidationFailure(path: component + path, rule: rule)
    }
}

