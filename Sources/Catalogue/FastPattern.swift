/// A byte-level matcher for the patterns JSON Schemas mostly use: anchors, literals, character
/// classes, `.`, the quantifiers ? * + {n} {n,} {n,m}, and groups of alternatives without a
/// quantifier (expanded into separate sequences). Built because the C library's regexec costs a
/// microsecond or more per call, too much for the import path. `Pattern` falls back to POSIX
/// for anything outside this subset, or anything that is not plain ASCII.
struct FastPattern: Sendable {
    struct Atom: Sendable {
        var set: (UInt64, UInt64, UInt64, UInt64)
        var min: Int
        var max: Int
        /// Matches bytes of multi-byte characters too (`.`, negated classes): only exact with
        /// an unbounded quantifier, where counting bytes instead of characters changes nothing.
        var wholeCharacters = false
        func admits(_ byte: UInt8) -> Bool {
            let word: UInt64
            switch byte >> 6 {
            case 0: word = set.0
            case 1: word = set.1
            case 2: word = set.2
            default: word = set.3
            }
            return word >> UInt64(byte & 63) & 1 == 1
        }
    }

    let alternatives: [[Atom]]
    let anchoredStart: Bool
    let anchoredEnd: Bool

    /// nil when the pattern needs the general engine.
    init?(_ source: String) {
        var chars = Array(source.utf8)
        guard chars.allSatisfy({ $0 < 0x80 }) else { return nil }
        anchoredStart = chars.first == UInt8(ascii: "^")
        if anchoredStart { chars.removeFirst() }
        anchoredEnd = chars.last == UInt8(ascii: "$") && !(chars.count >= 2 && chars[chars.count - 2] == UInt8(ascii: "\\"))
        if anchoredEnd { chars.removeLast() }
        var parser = Parser(chars: chars)
        // Anchors bind to the first and last alternative only (`^a|b$`): leave top-level
        // alternation to the general engine.
        guard let alternatives = parser.alternation(topLevel: true), parser.at == chars.count,
              alternatives.count <= 64 else { return nil }
        self.alternatives = alternatives
    }

    func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for atoms in alternatives {
            let starts = anchoredStart ? 0...0 : 0...bytes.count
            for start in starts where match(atoms, 0, start, bytes) { return true }
        }
        return false
    }

    /// Greedy with backtracking; the catalogue's patterns make this linear in practice.
    private func match(_ atoms: [Atom], _ i: Int, _ at: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        if i == atoms.count { return !anchoredEnd || at == bytes.count }
        let atom = atoms[i]
        var count = 0
        while count < atom.max && at + count < bytes.count && atom.admits(bytes[at + count]) { count += 1 }
        while count >= atom.min {
            if match(atoms, i + 1, at + count, bytes) { return true }
            count -= 1
        }
        return false
    }

    private struct Parser {
        let chars: [UInt8]
        var at = 0

        /// Alternatives, each a sequence of atoms, with groups expanded.
        mutating func alternation(topLevel: Bool = false) -> [[Atom]]? {
            var result: [[Atom]] = []
            var current: [[Atom]] = [[]]
            while at < chars.count {
                let c = chars[at]
                if c == UInt8(ascii: "|") {
                    if topLevel { return nil }
                    at += 1
                    result += current
                    current = [[]]
                    continue
                }
                if c == UInt8(ascii: ")") { break }
                if c == UInt8(ascii: "(") {
                    at += 1
                    if at + 1 < chars.count && chars[at] == UInt8(ascii: "?") && chars[at + 1] == UInt8(ascii: ":") { at += 2 }
                    guard let inner = alternation(), at < chars.count, chars[at] == UInt8(ascii: ")") else { return nil }
                    at += 1
                    if at < chars.count, "?*+{".utf8.contains(chars[at]) { return nil }
                    current = current.flatMap { prefix in inner.map { prefix + $0 } }
                    if current.count > 64 { return nil }
                    continue
                }
                guard var atom = single() else { return nil }
                guard quantifier(&atom), !atom.wholeCharacters || atom.max == .max else { return nil }
                for i in current.indices { current[i].append(atom) }
            }
            result += current
            return result
        }

        private mutating func single() -> Atom? {
            var set: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            func add(_ b: UInt8) {
                let bit = UInt64(1) << UInt64(b & 63)
                switch b >> 6 { case 0: set.0 |= bit; case 1: set.1 |= bit; case 2: set.2 |= bit; default: set.3 |= bit }
            }
            func addRange(_ lo: UInt8, _ hi: UInt8) { if lo <= hi { for b in lo...hi { add(b) } } }
            func addShorthand(_ e: UInt8) -> Bool {
                switch e {
                case UInt8(ascii: "d"): addRange(48, 57)
                case UInt8(ascii: "w"): addRange(48, 57); addRange(65, 90); addRange(97, 122); add(95)
                case UInt8(ascii: "s"): for b in [9, 10, 11, 12, 13, 32] as [UInt8] { add(b) }
                default: return false
                }
                return true
            }
            let c = chars[at]
            at += 1
            switch c {
            case UInt8(ascii: "."):
                set = (~0, ~0, ~0, ~0)
                set.0 &= ~(UInt64(1) << 10 | UInt64(1) << 13)
                return Atom(set: set, min: 1, max: 1, wholeCharacters: true)
            case UInt8(ascii: "\\"):
                guard at < chars.count else { return nil }
                let e = chars[at]
                at += 1
                if !addShorthand(e) {
                    guard !"DWSbBpPuxck0123456789nrtfv".utf8.contains(e) else { return nil }
                    add(e)
                }
            case UInt8(ascii: "["):
                var negate = false
                if at < chars.count && chars[at] == UInt8(ascii: "^") { negate = true; at += 1 }
                var first = true
                while at < chars.count && (chars[at] != UInt8(ascii: "]") || first) {
                    first = false
                    var lo = chars[at]
                    at += 1
                    if lo == UInt8(ascii: "\\") {
                        guard at < chars.count else { return nil }
                        let e = chars[at]
                        at += 1
                        if addShorthand(e) { continue }
                        guard !"DWSbBpPux0123456789".utf8.contains(e) else { return nil }
                        lo = e
                    } else if lo == UInt8(ascii: "[") {
                        return nil // POSIX classes: leave to the general engine
                    }
                    if at + 1 < chars.count && chars[at] == UInt8(ascii: "-") && chars[at + 1] != UInt8(ascii: "]") {
                        var hi = chars[at + 1]
                        at += 2
                        if hi == UInt8(ascii: "\\") {
                            guard at < chars.count else { return nil }
                            hi = chars[at]
                            at += 1
                        }
                        addRange(lo, hi)
                    } else {
                        add(lo)
                    }
                }
                guard at < chars.count else { return nil }
                at += 1
                if negate {
                    set = (~set.0, ~set.1, ~set.2, ~set.3)
                    return Atom(set: set, min: 1, max: 1, wholeCharacters: true)
                }
            case UInt8(ascii: "^"), UInt8(ascii: "$"), UInt8(ascii: "?"), UInt8(ascii: "*"), UInt8(ascii: "+"),
                 UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "]"):
                return nil
            default:
                add(c)
            }
            return Atom(set: set, min: 1, max: 1)
        }

        private mutating func quantifier(_ atom: inout Atom) -> Bool {
            guard at < chars.count else { return true }
            switch chars[at] {
            case UInt8(ascii: "?"): atom.min = 0; atom.max = 1; at += 1
            case UInt8(ascii: "*"): atom.min = 0; atom.max = .max; at += 1
            case UInt8(ascii: "+"): atom.min = 1; atom.max = .max; at += 1
            case UInt8(ascii: "{"):
                at += 1
                guard let lo = number() else { return false }
                var hi = lo
                if at < chars.count && chars[at] == UInt8(ascii: ",") {
                    at += 1
                    hi = number() ?? .max
                }
                guard at < chars.count, chars[at] == UInt8(ascii: "}"), lo <= hi else { return false }
                at += 1
                atom.min = lo
                atom.max = hi
            default: return true
            }
            // Lazy and possessive forms are not supported here.
            return !(at < chars.count && (chars[at] == UInt8(ascii: "?") || chars[at] == UInt8(ascii: "+")))
        }

        private mutating func number() -> Int? {
            var n = 0, digits = 0
            while at < chars.count, chars[at] >= 48, chars[at] <= 57, digits < 6 {
                n = n * 10 + Int(chars[at] - 48)
                at += 1
                digits += 1
            }
            return digits > 0 ? n : nil
        }
    }
}
