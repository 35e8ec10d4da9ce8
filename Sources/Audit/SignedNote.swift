import Crypto
import JSON
import Ledger
import TextFormats

/// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys.
///
/// A note is its text (ending in a newline), a blank line, then one line per signature:
/// `— NAME BASE64(keyID[4] || signature)`. The key ID is the first four bytes of
/// SHA-256(NAME || 0x0A || 0x01 || public key); the verifier key is written
/// `NAME+HEX(keyID)+BASE64(0x01 || public key)`, the signer key
/// `PRIVATE+KEY+NAME+HEX(keyID)+BASE64(0x01 || seed)`.
public enum SignedNote {
    static let ed25519: UInt8 = 0x01
    static let dash = "\u{2014} "

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    static func keyId(name: String, publicKey: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: Array(name.utf8) + [0x0A, ed25519] + publicKey).prefix(4))
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format2hex: $0) }.joined() }

    /// Splits a note into its text and signature lines.
    public static func split(_ note: String) throws -> (text: String, signatures: [(name: String, blob: [UInt8])]) {
        guard note.hasSuffix("\n"), let range = note.range(of: "\n\n", options: .backwards) else {
            throw Failure(message: "not a signed note: no blank line before the signatures")
        }
        let text = String(note[..<range.lowerBound]) + "\n"
        var signatures: [(String, [UInt8])] = []
        for line in note[range.upperBound...].split(separator: "\n") {
            guard line.hasPrefix(dash) else { throw Failure(message: "signature line does not start with an em dash: \(line)") }
            let parts = line.dropFirst(dash.count).split(separator: " ")
            guard parts.count == 2, let blob = Base64.decode(String(parts[1])), blob.count > 4 else {
                throw Failure(message: "malformed signature line: \(line)")
            }
            signatures.append((String(parts[0]), blob))
        }
        guard !signatures.isEmpty else { throw Failure(message: "the note has no signatures") }
        return (text, signatures)
    }
}

/// A signer key (private), as C2SP writes it.
public struct NoteSigner: @unchecked Sendable {
    public let name: String
    let key: Curve25519.Signing.PrivateKey
    let keyId: [UInt8]

    public static func generate(name: String) throws -> NoteSigner {
        guard !name.isEmpty, !name.contains("+"), !name.contains(" "), !name.contains("\n") else {
            throw SignedNote.Failure(message: "a key name must be non-empty, without spaces or +")
        }
        let key = Curve25519.Signing.PrivateKey()
        return NoteSigner(name: name, key: key, keyId: SignedNote.keyId(name: name, publicKey: Array(key.publicKey.rawRepresentation)))
    }

    public init(skey: String) throws {
        let parts = skey.trimmingWhitespace.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY", let raw = Base64.decode(parts[4]),
              raw.count == 33, raw[0] == SignedNote.ed25519 else {
            throw SignedNote.Failure(message: "not an Ed25519 signer key (PRIVATE+KEY+NAME+HASH+KEY)")
        }
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: raw[1...])
        let id = SignedNote.keyId(name: parts[2], publicKey: Array(key.publicKey.rawRepresentation))
        guard SignedNote.hex(id) == parts[3] else { throw SignedNote.Failure(message: "the signer key's hash does not match its key") }
        self.init(name: parts[2], key: key, keyId: id)
    }

    private init(name: String, key: Curve25519.Signing.PrivateKey, keyId: [UInt8]) {
        self.name = name
        self.key = key
        self.keyId = keyId
    }

    public var skey: String { "PRIVATE+KEY+\(name)+\(SignedNote.hex(keyId))+\(Base64.encode([SignedNote.ed25519] + Array(key.rawRepresentation)))" }
    public var vkey: String { "\(name)+\(SignedNote.hex(keyId))+\(Base64.encode([SignedNote.ed25519] + Array(key.publicKey.rawRepresentation)))" }

    /// Signs `text` (which must end in a newline) into a note.
    public func sign(_ text: String) throws -> String {
        precondition(text.hasSuffix("\n"), "note text ends with a newline")
        let signature = try key.signature(for: Array(text.utf8))
        return text + "\n" + SignedNote.dash + name + " " + Base64.encode(keyId + Array(signature)) + "\n"
    }
}

/// A verifier key (public).
public struct NoteVerifier: Sendable {
    public let name: String
    let publicKey: [UInt8]
    let keyId: [UInt8]

    public init(vkey: String) throws {
        let parts = vkey.trimmingWhitespace.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let raw = Base64.decode(parts[2]), raw.count == 33, raw[0] == SignedNote.ed25519 else {
            throw SignedNote.Failure(message: "not an Ed25519 verifier key (NAME+HASH+KEY)")
        }
        name = parts[0]
        publicKey = Array(raw[1...])
        keyId = SignedNote.keyId(name: name, publicKey: publicKey)
        guard SignedNote.hex(keyId) == parts[1] else { throw SignedNote.Failure(message: "the verifier key's hash does not match its key") }
    }

    /// The note's text, when it carries a valid signature by this key.
    public func verify(_ note: String) throws -> String {
        let (text, signatures) = try SignedNote.split(note)
        guard let (_, blob) = signatures.first(where: { $0.name == name && Array($0.blob.prefix(4)) == keyId }) else {
            throw SignedNote.Failure(message: "the note carries no signature by \(name)")
        }
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        guard key.isValidSignature(Array(blob.dropFirst(4)), for: Array(text.utf8)) else {
            throw SignedNote.Failure(message: "the signature by \(name) does not verify: the note was altered or forged")
        }
        return text
    }
}

extension String {
    init(format2hex byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
