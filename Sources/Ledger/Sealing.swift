/// Sealing of the personal section (the I and S fields), implemented outside the ledger (the
/// Privacy module) so that the ledger never holds a key. The ledger only needs to say which
/// key a section is sealed under and to get the clear bytes back when a caller may see them.
public protocol PersonalDataSealer: AnyObject, Sendable {
    /// Seals `plaintext` (a canonical JSON object) under the data key `keyId`, bound to the event.
    func seal(_ plaintext: [UInt8], keyId: String, fields: [String], eventId: [UInt8]) throws -> [UInt8]
    /// As `seal`, appending the sealed section to `out`: the import seals into the record it
    /// is encoding, and a section of its own per event cost several allocations.
    func seal(_ plaintext: [UInt8], keyId: String, fields: [String], eventId: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) throws
    /// Opens a sealed section.
    func open(_ sealed: UnsafeRawBufferPointer, eventId: UnsafeRawBufferPointer) throws -> OpenedPersonalData
    /// A sealer for use by one thread at a time, which may keep state of its own (random bytes)
    /// to spare the threads a shared lock. Each `EventPreparer` takes one.
    func forOneThread() -> PersonalDataSealer
}

extension PersonalDataSealer {
    public func forOneThread() -> PersonalDataSealer { self }

    public func seal(_ plaintext: [UInt8], keyId: String, fields: [String], eventId: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) throws {
        out.append(contentsOf: try seal(plaintext, keyId: keyId, fields: fields, eventId: Array(eventId)))
    }
}

public enum OpenedPersonalData {
    /// The canonical JSON object of the personal fields.
    case clear([UInt8])
    /// The key store holds no data key for the section: destroyed by an erasure (crypto-
    /// shredding, for good), or never there (a ledger restored without its key store, or with
    /// another's). Only the log can tell the two apart: see `LedgerSnapshot.erasureDestroyed`.
    case keyMissing(keyId: String)
}

/// The parts of a sealed section that are not secret, readable without any key:
///
///     u8 version (1) | u8 key id length | key id | u8 field count | (u8 length | name)* | nonce | ciphertext+tag
///
/// The field names are schema property names (not personal), kept so that views can say which
/// fields are sealed or erased.
public struct SealedSection {
    public static let version: UInt8 = 1
    public let keyId: String
    public let fields: [String]
    /// Offset of the AEAD payload (nonce, ciphertext, tag) in the section.
    public let payloadOffset: Int

    public init(_ bytes: UnsafeRawBufferPointer) throws {
        func fail() -> RecordFormatError { RecordFormatError(message: "sealed section malformed") }
        guard bytes.count >= 3, bytes[0] == SealedSection.version else { throw fail() }
        var at = 1
        let keyLength = Int(bytes[at]); at += 1
        guard at + keyLength < bytes.count else { throw fail() }
        keyId = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + keyLength]), as: UTF8.self)
        at += keyLength
        let count = Int(bytes[at]); at += 1
        var fields: [String] = []
        for _ in 0..<count {
            guard at < bytes.count else { throw fail() }
            let length = Int(bytes[at]); at += 1
            guard at + length <= bytes.count else { throw fail() }
            fields.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + length]), as: UTF8.self))
            at += length
        }
        self.fields = fields
        payloadOffset = at
    }

    public static func appendHeader(keyId: String, fields: [String], to out: inout [UInt8]) {
        out.append(version)
        out.append(UInt8(keyId.utf8.count))
        out.append(contentsOf: keyId.utf8)
        out.append(UInt8(fields.count))
        for name in fields {
            out.append(UInt8(name.utf8.count))
            out.append(contentsOf: name.utf8)
        }
    }
}

/// Which data key seals an event's personal fields: the resident's own when the event is in
/// the resident's stream or names them (`resident_id`), else a key of the event's stream.
public enum DataKeyId {
    public static func forEvent(stream: String, residentId: String?) -> String {
        if let residentId { return "resident:" + residentId }
        return "stream:" + stream
    }

    /// The resident an event is about, from its stream or its `resident_id` field.
    public static func resident(stream: UnsafeRawBufferPointer, residentField: @autoclosure () -> String?) -> String? {
        if stream.starts(with: residentStreamPrefix) { return String(decoding: stream[residentStreamPrefix.count...], as: UTF8.self) }
        return residentField()
    }

    /// A resident's own stream.
    public static func residentStream(_ resident: String) -> String { "resident-" + resident }

    /// The resident whose own stream `stream` is, if it is one.
    public static func resident(ofStream stream: String) -> String? {
        let prefix = residentStream("")
        return stream.hasPrefix(prefix) ? String(stream.dropFirst(prefix.count)) : nil
    }

    static let residentStreamPrefix = Array(residentStream("").utf8)
}
