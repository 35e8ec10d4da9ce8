/// The byte form of read-model rows: little-endian integers, length-prefixed strings, and an
/// "absent" marker for optional values. Rows are encoded field by field in a fixed order, so the
/// same row always gives the same bytes (which is what makes read-model digests deterministic).
public struct RowWriter {
    public private(set) var bytes: [UInt8] = []

    public init() { bytes.reserveCapacity(64) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func int(_ v: Int64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func double(_ v: Double) { int(Int64(bitPattern: v.bitPattern)) }

    public mutating func string(_ v: String) {
        int(Int64(v.utf8.count))
        bytes.append(contentsOf: v.utf8)
    }

    public mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }

    public mutating func optionalInt(_ v: Int64?) {
        if let v { u8(1); int(v) } else { u8(0) }
    }

    public mutating func optionalDouble(_ v: Double?) {
        if let v { u8(1); double(v) } else { u8(0) }
    }

    public mutating func optionalBool(_ v: Bool?) { u8(v.map { $0 ? 2 : 1 } ?? 0) }
}

public struct RowFormatError: Error, CustomStringConvertible {
    public var description: String { "a read-model row is malformed (rebuild it with `buurtboek project --rebuild`)" }
}

public struct RowReader {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public mutating func u8() throws -> UInt8 {
        guard at < bytes.count else { throw RowFormatError() }
        defer { at += 1 }
        return bytes[at]
    }

    public mutating func int() throws -> Int64 {
        guard at + 8 <= bytes.count else { throw RowFormatError() }
        defer { at += 8 }
        return Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self))
    }

    public mutating func double() throws -> Double { Double(bitPattern: UInt64(bitPattern: try int())) }

    public mutating func string() throws -> String {
        let n = Int(try int())
        guard n >= 0, at + n <= bytes.count else { throw RowFormatError() }
        defer { at += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + n]), as: UTF8.self)
    }

    public mutating func bool() throws -> Bool { try u8() != 0 }

    public mutating func optionalInt() throws -> Int64? { try u8() == 0 ? nil : try int() }

    public mutating func optionalDouble() throws -> Double? { try u8() == 0 ? nil : try double() }

    public mutating func optionalBool() throws -> Bool? {
        switch try u8() { case 0: return nil; case 1: return false; default: return true }
    }

    public var isAtEnd: Bool { at == bytes.count }
    public var remaining: Int { bytes.count - at }
}
