/// How a Swift value is stored as LMDB bytes and read back. Decoding checks what it reads: a
/// stored value of the wrong shape is an error naming the database, never a trap.
public protocol Codec {
    associatedtype Value
    /// Calls `body` with the bytes of `value` (on the stack where they fit: no allocation).
    static func withBytes<R>(of value: Value, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Value?
    /// What a value of this codec is, for errors: "8 bytes (a big-endian u64)".
    static var shape: String { get }
    /// A value as an error names it (a key beside a malformed value).
    static func describe(_ value: Value) -> String
}

extension Codec {
    public static func describe(_ value: Value) -> String { "\(value)" }
}

/// Bytes as an error shows them: as text when they are printable UTF-8, else in hex.
func describeBytes(_ bytes: UnsafeRawBufferPointer) -> String {
    if let text = String(validating: bytes, as: UTF8.self), text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) {
        return text
    }
    return "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// An unsigned integer, big-endian, so that keys sort in numeric order.
public enum BigEndian<Integer: FixedWidthInteger & UnsignedInteger>: Codec {
    public static func withBytes<R>(of value: Integer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: value.bigEndian, body)
    }
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> Integer? {
        bytes.count == MemoryLayout<Integer>.size ? Integer(bigEndian: bytes.loadUnaligned(as: Integer.self)) : nil
    }
    public static var shape: String { "\(MemoryLayout<Integer>.size) bytes (a big-endian u\(Integer.bitWidth))" }
}

public typealias BigEndianU64 = BigEndian<UInt64>
public typealias BigEndianU32 = BigEndian<UInt32>

/// Text, as its UTF-8 bytes.
public enum UTF8Text: Codec {
    public static func withBytes<R>(of value: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var value = value
        return try value.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> String? { String(validating: bytes, as: UTF8.self) }
    public static var shape: String { "UTF-8 text" }
}

/// Bytes as they are stored: reading gives a view into the map, valid while the transaction
/// is open (zero-copy), as `Transaction.get` does.
public enum RawBytes: Codec {
    public static func withBytes<R>(of value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(value)
    }
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? { bytes }
    public static var shape: String { "bytes" }
    public static func describe(_ value: UnsafeRawBufferPointer) -> String { describeBytes(value) }
}

/// Bytes copied out of the map, for values kept beyond their transaction.
public enum ByteArray: Codec {
    public static func withBytes<R>(of value: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try value.withUnsafeBytes(body)
    }
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? { Array(bytes) }
    public static var shape: String { "bytes" }
    public static func describe(_ value: [UInt8]) -> String { value.withUnsafeBytes(describeBytes) }
}

/// A stored key or value that its codec cannot read.
public struct CodecError: Error, CustomStringConvertible {
    public let database: String
    public let what: String
    public var description: String { "the \(database) database holds \(what)" }
}

/// A database whose keys and values have Swift types, as heed has them: the codecs are named
/// once, where the database is declared, instead of at every read and write.
public struct TypedDatabase<Key: Codec, Value: Codec>: Sendable {
    public let raw: Database

    public init(_ raw: Database) { self.raw = raw }

    public func get(_ txn: Transaction, _ key: Key.Value) throws -> Value.Value? {
        guard let bytes = try Key.withBytes(of: key, { try txn.get(raw, $0) }) else { return nil }
        return try decodeValue(bytes, at: key)
    }

    public func put(_ txn: WriteTransaction, _ key: Key.Value, _ value: Value.Value, options: PutOptions = []) throws {
        try Key.withBytes(of: key) { k in try Value.withBytes(of: value) { v in try txn.put(raw, k, v, options: options) } }
    }

    /// Writes `value` unless `key` is there already; returns the stored value then.
    public func insertIfAbsent(_ txn: WriteTransaction, _ key: Key.Value, _ value: Value.Value) throws -> Value.Value? {
        let cursor = try txn.cursor(raw)
        let existing = try Key.withBytes(of: key) { k in try Value.withBytes(of: value) { v in try cursor.insertIfAbsent(k, v) } }
        return try existing.map { try decodeValue($0, at: key) }
    }

    /// The entries in key order from the first key at or after `start` (from the first without
    /// one), while `body` returns true.
    public func forEach(_ txn: Transaction, from start: Key.Value? = nil,
                        _ body: (Key.Value, Value.Value) throws -> Bool) throws {
        let cursor = try txn.cursor(raw)
        var entry = try start.map { try Key.withBytes(of: $0) { try cursor.seek(Array($0)) } } ?? cursor.first()
        while let e = entry {
            let key = try decodeKey(e.key)
            guard try body(key, try decodeValue(e.value, at: key)) else { return }
            entry = try cursor.next()
        }
    }

    /// The entry with the largest key.
    public func last(_ txn: Transaction) throws -> (key: Key.Value, value: Value.Value)? {
        guard let e = try txn.cursor(raw).last() else { return nil }
        let key = try decodeKey(e.key)
        return (key, try decodeValue(e.value, at: key))
    }

    public func count(_ txn: Transaction) throws -> Int { try txn.count(raw) }

    private func decodeKey(_ bytes: UnsafeRawBufferPointer) throws -> Key.Value {
        guard let key = Key.decode(bytes) else {
            throw CodecError(database: raw.name, what: "a key of \(bytes.count) bytes where \(Key.shape) belongs")
        }
        return key
    }

    private func decodeValue(_ bytes: UnsafeRawBufferPointer, at key: Key.Value) throws -> Value.Value {
        guard let value = Value.decode(bytes) else {
            throw CodecError(database: raw.name, what: "a value of \(bytes.count) bytes at key \(Key.describe(key)) where \(Value.shape) belongs")
        }
        return value
    }
}

extension TypedDatabase where Key == RawBytes {
    /// Reads at a key held in an array (the key codec takes views, so that walks copy nothing).
    public func get(_ txn: Transaction, _ key: [UInt8]) throws -> Value.Value? {
        try key.withUnsafeBytes { try get(txn, $0) }
    }

    public func put(_ txn: WriteTransaction, _ key: [UInt8], _ value: Value.Value, options: PutOptions = []) throws {
        try key.withUnsafeBytes { try put(txn, $0, value, options: options) }
    }
}
