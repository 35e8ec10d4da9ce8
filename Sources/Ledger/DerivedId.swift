import JSON
import Merkle

/// The id of an event line that gives none, derived from its content, so that importing the
/// same file again finds every line already recorded instead of appending it twice.
///
/// A name-based UUID in the layout of RFC 9562's version 8 (its SHA-256 example, B.2):
///
///     SHA-256(namespace ‖ canonical line)[0..<16], version nibble 8, variant bits 10
///
/// where `namespace` is the 16 bytes of 5b3f7c1e-9a0d-4e2b-8c6f-2d1a0b9e8f70 and the canonical
/// line is the line's JSON object without `id`, written canonically (keys sorted bytewise at
/// every level, no whitespace, numbers and strings as the canonical writer has them): type,
/// stream, data and whichever other envelope keys the line gives (occurredAt, recordedBy,
/// schemaVersion, expectedVersion, neighbourhood, correlationId, causationId). Two lines with
/// the same content are one event; give an id (or an occurredAt) to tell apart two events
/// that are otherwise the same.
public enum DerivedId {
    public static let namespace: [UInt8] = [0x5b, 0x3f, 0x7c, 0x1e, 0x9a, 0x0d, 0x4e, 0x2b,
                                            0x8c, 0x6f, 0x2d, 0x1a, 0x0b, 0x9e, 0x8f, 0x70]

    /// The derived id of a parsed line, its members other than `id`.
    static func of(_ root: JSONNode, into id: UnsafeMutableRawBufferPointer) throws {
        var members = root.members.filter { !$0.key.stringBytes.elementsEqual("id".utf8) }
        var bytes = namespace
        bytes.append(UInt8(ascii: "{"))
        try JSONNode.writeSortedMembers(&members, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
        let digest = Hash.sha256(bytes).bytes
        for i in 0..<16 { id[i] = digest[i] }
        id[6] = (id[6] & 0x0F) | 0x80
        id[8] = (id[8] & 0x3F) | 0x80
    }
}
