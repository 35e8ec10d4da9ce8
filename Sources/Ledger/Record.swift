/// The binary record: the bytes stored at a log position and hashed as the Merkle leaf.
/// Schemas/RECORD-FORMAT.md is the normative description; in short (little-endian):
///
///     0  u8   format version (1)
///     1  u8   flags (bit 0: the personal section is sealed)
///     2  u16  schema version of the type
///     4  u32  reserved, 0
///     8  u64  stream version (1 for a stream's first event)
///     16 i64  occurredAt, microseconds since 1970-01-01T00:00:00Z
///     24 i64  recordedAt, the same unit, the ledger's clock
///     32 16B  event id (UUID bytes)
///     48      eight sections, each u32 length + bytes: type, stream, recordedBy, neighbourhood,
///             correlationId, causationId, data (canonical JSON object of the N and P fields),
///             personal (canonical JSON object of the I and S fields; empty when there are none)
public struct Record: Equatable, Sendable {
    public static let formatVersion: UInt8 = 1
    public static let headerSize = 48
    public static let sealedFlag: UInt8 = 1
    static let idRange = 32..<48

    public var flags: UInt8 = 0
    public var schemaVersion: UInt16
    public var streamVersion: UInt64
    public var occurredAt: Int64
    public var recordedAt: Int64
    public var id: [UInt8]
    public var type: String
    public var stream: String
    public var recordedBy: String
    public var neighbourhood: String
    public var correlationId: String
    public var causationId: String
    public var data: [UInt8]
    public var personal: [UInt8]

    public func encoded() -> [UInt8] {
        var encoder = RecordEncoder(capacity: Record.headerSize + 64 + data.count + personal.count + stream.utf8.count,
                                    schemaVersion: schemaVersion, occurredAt: occurredAt, id: id)
        encoder.setFlags(flags)
        for text in [type, stream, recordedBy, neighbourhood, correlationId, causationId] {
            var text = text
            text.withUTF8 { encoder.section(UnsafeRawBufferPointer($0)) }
        }
        encoder.section(data)
        encoder.section(personal)
        return encoder.placed(streamVersion: streamVersion, recordedAt: recordedAt)
    }

    /// Sets the two fields the ledger decides at append, in an encoded header.
    static func place(_ header: UnsafeMutableRawBufferPointer, streamVersion: UInt64, recordedAt: Int64) {
        header.storeBytes(of: streamVersion.littleEndian, toByteOffset: 8, as: UInt64.self)
        header.storeBytes(of: UInt64(bitPattern: recordedAt).littleEndian, toByteOffset: 24, as: UInt64.self)
    }

    public init(schemaVersion: UInt16, streamVersion: UInt64, occurredAt: Int64, recordedAt: Int64, id: [UInt8],
                type: String, stream: String, recordedBy: String, neighbourhood: String,
                correlationId: String, causationId: String, data: [UInt8], personal: [UInt8], flags: UInt8 = 0) {
        self.flags = flags
        self.schemaVersion = schemaVersion
        self.streamVersion = streamVersion
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.id = id
        self.type = type
        self.stream = stream
        self.recordedBy = recordedBy
        self.neighbourhood = neighbourhood
        self.correlationId = correlationId
        self.causationId = causationId
        self.data = data
        self.personal = personal
    }

    public init(_ view: RecordView) {
        self.init(schemaVersion: view.schemaVersion, streamVersion: view.streamVersion, occurredAt: view.occurredAt,
                  recordedAt: view.recordedAt, id: Array(view.id), type: view.type, stream: view.stream,
                  recordedBy: view.recordedBy, neighbourhood: view.neighbourhood, correlationId: view.correlationId,
                  causationId: view.causationId, data: Array(view.data), personal: Array(view.personal), flags: view.flags)
    }
}

/// A stored record that does not follow the format.
public struct RecordFormatError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { "malformed record: \(message)" }
}

/// A zero-copy reading of a record's bytes; fields are decoded only when asked for.
/// Valid only while the buffer it reads is (inside the read transaction).
public struct RecordView {
    public let bytes: UnsafeRawBufferPointer
    /// Start offsets of the eight sections' bytes, and their lengths.
    private var starts: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var lengths: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)

    public init(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes = bytes
        guard bytes.count >= Record.headerSize else {
            throw RecordFormatError(message: "\(bytes.count) bytes, shorter than the \(Record.headerSize)-byte header")
        }
        guard bytes[0] == Record.formatVersion else {
            throw RecordFormatError(message: "format version \(bytes[0]); this build reads version \(Record.formatVersion)")
        }
        // Unrolled by hand, without a throw inside: this walk runs once per record in every
        // scan (verify, replay). A section that does not fit marks the walk failed (-1).
        let count = bytes.count
        var at = Record.headerSize
        @inline(__always) func next() -> (Int, Int) {
            guard at >= 0, at + 4 <= count else { at = -1; return (0, 0) }
            let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            let start = at + 4
            guard length <= count - start else { at = -1; return (0, 0) }
            at = start + length
            return (start, length)
        }
        let s0 = next(), s1 = next(), s2 = next(), s3 = next(), s4 = next(), s5 = next(), s6 = next(), s7 = next()
        guard at >= 0 else { throw RecordFormatError(message: "a section runs past the end of the record") }
        guard at == count else { throw RecordFormatError(message: "\(count - at) bytes after the last section") }
        starts = (s0.0, s1.0, s2.0, s3.0, s4.0, s5.0, s6.0, s7.0)
        lengths = (s0.1, s1.1, s2.1, s3.1, s4.1, s5.1, s6.1, s7.1)
    }

    private func u64(_ offset: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }

    public var flags: UInt8 { bytes[1] }
    public var isSealed: Bool { flags & Record.sealedFlag != 0 }
    public var schemaVersion: UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    public var streamVersion: UInt64 { u64(8) }
    public var occurredAt: Int64 { Int64(bitPattern: u64(16)) }
    public var recordedAt: Int64 { Int64(bitPattern: u64(24)) }
    public var id: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[32..<48]) }

    private func section(_ start: Int, _ length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
    }
    private func text(_ start: Int, _ length: Int) -> String { String(decoding: section(start, length), as: UTF8.self) }

    public var typeBytes: UnsafeRawBufferPointer { section(starts.0, lengths.0) }
    public var streamBytes: UnsafeRawBufferPointer { section(starts.1, lengths.1) }
    public var type: String { text(starts.0, lengths.0) }
    public var stream: String { text(starts.1, lengths.1) }
    public var recordedBy: String { text(starts.2, lengths.2) }
    public var neighbourhood: String { text(starts.3, lengths.3) }
    public var neighbourhoodBytes: UnsafeRawBufferPointer { section(starts.3, lengths.3) }
    public var correlationId: String { text(starts.4, lengths.4) }
    public var causationId: String { text(starts.5, lengths.5) }
    public var data: UnsafeRawBufferPointer { section(starts.6, lengths.6) }
    /// recordedBy, neighbourhood, correlationId and causationId with their length prefixes: equal
    /// exactly when the four are.
    var envelopeText: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[(starts.2 - 4)..<(starts.5 + lengths.5)]) }
    public var personal: UnsafeRawBufferPointer { section(starts.7, lengths.7) }
}

/// Encodes a record in one buffer, section by section, from borrowed bytes: how an import
/// encodes a million records without a `Record` (and its strings and arrays) for each.
struct RecordEncoder {
    private(set) var bytes: [UInt8] = []

    /// The header, with stream version and recordedAt 0 (the writer places them) and no flags.
    init(capacity: Int, schemaVersion: UInt16, occurredAt: Int64, id: [UInt8]) {
        self = id.withUnsafeBytes { RecordEncoder(capacity: capacity, schemaVersion: schemaVersion, occurredAt: occurredAt, id: $0) }
    }

    init(capacity: Int, schemaVersion: UInt16, occurredAt: Int64, id: UnsafeRawBufferPointer) {
        bytes.reserveCapacity(capacity)
        bytes.append(Record.formatVersion)
        bytes.append(0)
        append(schemaVersion)
        append(UInt32(0))
        append(UInt64(0))
        append(UInt64(bitPattern: occurredAt))
        append(UInt64(0))
        bytes.append(contentsOf: id)
    }

    mutating func section(_ content: UnsafeRawBufferPointer) {
        append(UInt32(content.count))
        bytes.append(contentsOf: content)
    }

    mutating func section(_ content: [UInt8]) { content.withUnsafeBytes { section($0) } }

    /// A section written by `body`; its length is filled in afterwards.
    mutating func section(_ body: (inout [UInt8]) throws -> Void) rethrows -> Int {
        let lengthAt = bytes.count
        append(UInt32(0))
        try body(&bytes)
        let length = bytes.count - lengthAt - 4
        withUnsafeBytes(of: UInt32(length).littleEndian) { length in
            for i in 0..<4 { bytes[lengthAt + i] = length[i] }
        }
        return length
    }

    mutating func setFlags(_ flags: UInt8) { bytes[1] = flags }

    /// The record with the two fields the ledger decides filled in.
    func placed(streamVersion: UInt64, recordedAt: Int64) -> [UInt8] {
        var out = bytes
        out.withUnsafeMutableBytes { Record.place($0, streamVersion: streamVersion, recordedAt: recordedAt) }
        return out
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
