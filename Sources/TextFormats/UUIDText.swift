/// UUIDs in their textual form, as 16 bytes.
public enum UUIDText {
    public static func parse(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    public static func parse(_ b: UnsafeRawBufferPointer) -> [UInt8]? {
        var ok = false
        let out = [UInt8](unsafeUninitializedCapacity: 16) { buffer, count in
            ok = parse(b, into: UnsafeMutableRawBufferPointer(buffer))
            count = 16
        }
        return ok ? out : nil
    }

    /// Parses into the first 16 bytes of `out` (no array made); false when `b` is no UUID.
    public static func parse(_ b: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Bool {
        guard b.count == 36, out.count >= 16, b[8] == 0x2D, b[13] == 0x2D, b[18] == 0x2D, b[23] == 0x2D else { return false }
        var bad: UInt8 = 0
        nibbles.withUnsafeBufferPointer { nibbles in
            var i = 0
            for j in 0..<16 {
                if i == 8 || i == 13 || i == 18 || i == 23 { i += 1 }
                let hi = nibbles[Int(b[i])], lo = nibbles[Int(b[i + 1])]
                bad |= (hi | lo) & 0x10
                out[j] = hi << 4 | (lo & 0x0F)
                i += 2
            }
        }
        return bad == 0
    }

    /// Whether `b` is a UUID in its text form.
    public static func isValid(_ b: UnsafeRawBufferPointer) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: 16, alignment: 1) { parse(b, into: $0) }
    }

    /// Hex digit values; 0x10 marks a byte that is not a hex digit.
    private static let nibbles: [UInt8] = (0...255).map { c in
        switch c {
        case 48...57: return UInt8(c - 48)
        case 97...102: return UInt8(c - 87)
        case 65...70: return UInt8(c - 55)
        default: return 0x10
        }
    }

    public static func format(_ bytes: UnsafeRawBufferPointer) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func format(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { format($0) }
    }
}
