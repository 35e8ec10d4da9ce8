import CSimdJSON

/// A borrowed view of one value in a parsed document. It is valid only inside the closure
/// given to `JSONParser.parse`.
public struct JSONNode {
    public enum Kind: UInt8 {
        case null = 0, `false`, `true`, int, uint, double, string, array, object

        public var name: String {
            switch self {
            case .null: return "null"
            case .false, .true: return "boolean"
            case .int, .uint, .double: return "number"
            case .string: return "string"
            case .array: return "array"
            case .object: return "object"
            }
        }
    }

    let nodes: UnsafePointer<bb_json_node>
    let index: Int

    init(nodes: UnsafePointer<bb_json_node>, index: Int) {
        self.nodes = nodes
        self.index = index
    }

    private var raw: bb_json_node { nodes[index] }

    public var kind: Kind { Kind(rawValue: raw.kind)! }
    public var isNumber: Bool { raw.kind >= 3 && raw.kind <= 5 }

    /// The bytes of a string value (or of an object key), without copying.
    public var stringBytes: UnsafeRawBufferPointer {
        let n = raw
        return UnsafeRawBufferPointer(start: n.str, count: Int(n.length))
    }

    public var string: String? {
        kind == .string ? String(decoding: stringBytes, as: UTF8.self) : nil
    }

    public var bool: Bool? {
        switch kind { case .true: return true; case .false: return false; default: return nil }
    }

    public var double: Double? {
        let n = raw
        switch kind {
        case .int: return Double(n.num.i)
        case .uint: return Double(n.num.u)
        case .double: return n.num.d
        default: return nil
        }
    }

    public var int: Int64? {
        let n = raw
        switch kind {
        case .int: return n.num.i
        case .uint: return n.num.u <= UInt64(Int64.max) ? Int64(n.num.u) : nil
        case .double: return n.num.d.rounded() == n.num.d && abs(n.num.d) < 9.0e15 ? Int64(n.num.d) : nil
        default: return nil
        }
    }

    /// Element or member count of a container.
    public var count: Int { Int(raw.length) }

    public var elements: Elements { Elements(nodes: nodes, start: index + 1, end: Int(raw.end)) }

    public var members: Members { Members(nodes: nodes, start: index + 1, end: Int(raw.end)) }

    /// The value of the member named `key`, if this is an object that has it.
    public subscript(key: String) -> JSONNode? {
        guard kind == .object else { return nil }
        var key = key
        return key.withUTF8 { wanted in
            for member in members where member.key.stringBytes.elementsEqual(UnsafeRawBufferPointer(wanted)) {
                return member.value
            }
            return nil
        }
    }

    public struct Member {
        public let key: JSONNode
        public let value: JSONNode
        public var name: String { key.string ?? "" }
    }

    public struct Elements: Sequence, IteratorProtocol {
        let nodes: UnsafePointer<bb_json_node>
        var start: Int
        let end: Int
        public mutating func next() -> JSONNode? {
            guard start < end else { return nil }
            let node = JSONNode(nodes: nodes, index: start)
            start = Int(nodes[start].end)
            return node
        }
    }

    public struct Members: Sequence, IteratorProtocol {
        let nodes: UnsafePointer<bb_json_node>
        var start: Int
        let end: Int
        public mutating func next() -> Member? {
            guard start < end else { return nil }
            let key = JSONNode(nodes: nodes, index: start)
            let value = JSONNode(nodes: nodes, index: start + 1)
            start = Int(nodes[start + 1].end)
            return Member(key: key, value: value)
        }
    }

    /// An owned copy of this subtree.
    public var value: JSONValue {
        let n = raw
        switch kind {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .int(n.num.i)
        case .uint: return n.num.u <= UInt64(Int64.max) ? .int(Int64(n.num.u)) : .double(Double(n.num.u))
        case .double: return .double(n.num.d)
        case .string: return .string(string!)
        case .array: return .array(elements.map { $0.value })
        case .object:
            var object = JSONObject()
            for member in members { object[member.name] = member.value.value }
            return .object(object)
        }
    }
}
