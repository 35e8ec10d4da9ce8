#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct PatternError: Error {
    let message: String
}

/// A JSON Schema `pattern`, run by the C library's POSIX extended regular expressions, which
/// are far faster here than Swift's Regex. JSON Schema patterns are ECMA-262; the common subset
/// (anchors, classes, groups, alternation, quantifiers) means the same in both, and the
/// shorthand classes \d, \w and \s are translated. Unanchored, as JSON Schema specifies.
final class Pattern: @unchecked Sendable {
    private var regex = regex_t()
    private let fast: FastPattern?
    let source: String

    convenience init(_ source: String) throws { try self.init(source, allowFast: true) }

    /// Always the C library's engine: for tests that hold the fast matcher to it.
    convenience init(posixOnly source: String) throws { try self.init(source, allowFast: false) }

    private init(_ source: String, allowFast: Bool) throws {
        self.source = source
        self.fast = allowFast ? FastPattern(source) : nil
        guard fast == nil else { return }
        let translated = try Pattern.translate(source)
        let rc = regcomp(&regex, translated, REG_EXTENDED | REG_NOSUB)
        if rc != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            regerror(rc, &regex, &buffer, buffer.count)
            throw PatternError(message: "pattern \"\(source)\" does not compile: \(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        compiled = true
    }

    private var compiled = false

    deinit { if compiled { regfree(&regex) } }

    func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let fast { return fast.matches(bytes) }
        return matchesPOSIX(bytes)
    }

    func matchesPOSIX(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // regexec needs a NUL-terminated string; short values are copied on the stack.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer in
            for i in 0..<bytes.count { buffer[i] = CChar(bitPattern: bytes[i]) }
            buffer[bytes.count] = 0
            return withUnsafeMutablePointer(to: &regex) { regexec($0, buffer.baseAddress!, 0, nil, 0) == 0 }
        }
    }

    private static func translate(_ source: String) throws -> String {
        var out = ""
        var inClass = false
        var chars = source.makeIterator()
        while let c = chars.next() {
            if c == "\\" {
                guard let e = chars.next() else { throw PatternError(message: "pattern \"\(source)\" ends with a lone backslash") }
                let classes: [Character: (String, String)] = [
                    "d": ("[0-9]", "0-9"), "w": ("[A-Za-z0-9_]", "A-Za-z0-9_"), "s": ("[[:space:]]", "[:space:]"),
                ]
                if let (outside, inside) = classes[e] {
                    out += inClass ? inside : outside
                } else if "DWSbBpPuxck".contains(e) {
                    throw PatternError(message: "pattern \"\(source)\" uses \\\(e), which this validator does not support")
                } else if inClass {
                    out.append(e)
                } else {
                    out += "\\" + String(e)
                }
                continue
            }
            if c == "[" && !inClass { inClass = true } else if c == "]" && inClass { inClass = false }
            out.append(c)
        }
        return out
    }
}
