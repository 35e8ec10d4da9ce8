#if canImport(Glibc)
import Glibc
#endif
/// Writes JSON. The canonical form (used for everything the ledger hashes) has object
/// members sorted by the bytes of their keys, no insignificant white space, integers as
/// plain digits, other numbers in Swift's shortest round-trip form, and strings with only
/// the escapes JSON requires. The same content therefore always gives the same bytes.
public enum JSONWriter {
    public static func canonical(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        write(value, into: &out, sorted: true)
        return out
    }

    /// Members in their given order: for human-facing output such as `log --format jsonl`.
    public static func ordered(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        write(value, into: &out, sorted: false)
        return String(decoding: out, as: UTF8.self)
    }

    public static func write(_ value: JSONValue, into out: inout [UInt8], sorted: Bool) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): writeInt(i, into: &out)
        case .double(let d): writeDouble(d, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out, sorted: sorted)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            let keys = sorted ? object.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } : object.keys
            for (i, key) in keys.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(object[key]!, into: &out, sorted: sorted)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Plain decimal digits, written straight into `out` (no string made on the way).
    public static func writeInt(_ i: Int64, into out: inout [UInt8]) {
        if i < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = i.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = 20
            repeat {
                n -= 1
                digits[n] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[n...]))
        }
    }

    public static func writeDouble(_ d: Double, into out: inout [UInt8]) {
        if d.rounded() == d && abs(d) < 9.0e15 {
            writeInt(Int64(d), into: &out)
        } else if d.isFinite {
            out.append(contentsOf: d.description.utf8)
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { writeString(bytes: UnsafeRawBufferPointer($0), into: &out) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Byte order of two keys (memcmp, then length): the canonical member order, without the
    /// generic element-by-element comparison.
    @inline(__always)
    static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let common = min(a.count, b.count)
        if common > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, common)
            if c != 0 { return c < 0 }
        }
        return a.count < b.count
    }

    public static func writeString(bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(0x22)
        let count = bytes.count
        guard count > 0 else { out.append(0x22); return }
        // Runs of bytes that need no escape (nearly all of them) are copied whole.
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var plainStart = 0
        for i in 0..<count {
            let b = base[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C { continue }
            if i > plainStart { out.append(contentsOf: UnsafeBufferPointer(start: base + plainStart, count: i - plainStart)) }
            plainStart = i + 1
            out.append(0x5C)
            switch b {
            case 0x22, 0x5C: out.append(b)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            default:
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            }
        }
        if count > plainStart { out.append(contentsOf: UnsafeBufferPointer(start: base + plainStart, count: count - plainStart)) }
        out.append(0x22)
    }
}

extension JSONNode {
    /// Writes this subtree canonically (see `JSONWriter`). Throws on an object that repeats a
    /// member name, since such input has no single meaning.
    public func writeCanonical(into out: inout [UInt8]) throws {
        switch kind {
        case .null, .false, .true: out.append(contentsOf: (kind == .null ? "null" : kind == .true ? "true" : "false").utf8)
        case .int: JSONWriter.writeInt(int!, into: &out)
        case .uint, .double: JSONWriter.writeDouble(double!, into: &out)
        case .string: JSONWriter.writeString(bytes: stringBytes, into: &out)
        case .array:
            out.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                try element.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object:
            out.append(UInt8(ascii: "{"))
            var all = Array(members)
            try JSONNode.writeSortedMembers(&all, into: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Writes the given members (of one object) sorted by key, without braces. Sorts them in
    /// place: the caller's array serves, and no other is made.
    public static func writeSortedMembers(_ sorted: inout [Member], into out: inout [UInt8]) throws {
        sorted.sort { JSONWriter.precedes($0.key.stringBytes, $1.key.stringBytes) }
        for (i, member) in sorted.enumerated() {
            if i > 0 {
                if sorted[i - 1].key.stringBytes.elementsEqual(member.key.stringBytes) {
                    throw JSONSyntaxError(message: "the key \"\(member.name)\" appears twice in one object")
                }
                out.append(UInt8(ascii: ","))
            }
            JSONWriter.writeString(bytes: member.key.stringBytes, into: &out)
            out.append(UInt8(ascii: ":"))
            try member.value.writeCanonical(into: &out)
        }
    }
}
