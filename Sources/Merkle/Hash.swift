import LibCryptoShim

/// A SHA-256 value, stored inline (no allocation), as the tree handles millions of them.
public struct Hash: Hashable, Sendable, CustomStringConvertible {
    var a: UInt64, b: UInt64, c: UInt64, d: UInt64

    public static let size = 32

    init(a: UInt64, b: UInt64, c: UInt64, d: UInt64) {
        (self.a, self.b, self.c, self.d) = (a, b, c, d)
    }

    public init(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32, "a hash is 32 bytes")
        a = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        b = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        c = bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        d = bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self = bytes.withUnsafeBytes { Hash($0) }
    }

    public init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count == 64 else { return nil }
        var bytes = [UInt8]()
        for i in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.init(bytes: bytes)
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: self, body)
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        withUnsafeBytes { for byte in $0 { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) } }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }

    /// The root of the empty tree: SHA-256 of nothing (RFC 9162 2.1.1).
    public static let empty = Hash.sha256([])

    public static func sha256(_ bytes: [UInt8]) -> Hash {
        bytes.withUnsafeBytes { sha256(prefix: nil, $0, UnsafeRawBufferPointer(start: nil, count: 0)) }
    }

    /// SHA-256(prefix || a || b), hashed in place (libcrypto; see Sources/LibCryptoShim).
    static func sha256(prefix: UInt8?, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Hash {
        var out = Hash(a: 0, b: 0, c: 0, d: 0)
        Swift.withUnsafeMutableBytes(of: &out) { digest in
            let target = digest.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if let prefix {
                bb_sha256_prefixed(prefix, a.baseAddress, a.count, b.baseAddress, b.count, target)
            } else {
                bb_sha256_plain(a.baseAddress, a.count, target)
            }
        }
        return out
    }
}
