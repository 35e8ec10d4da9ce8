import Crypto
import Foundation
import Ledger

/// The team server's bearer tokens, in the key store beside the data keys: who may act is in
/// the log (member events), but the secret that proves it is not, so an export or a copy of the
/// log gives no one a way in. Only a token's SHA-256 is kept; the token itself is shown once.
extension KeyStore {
    /// A new token for `member`, stored by its hash. The token is `bbt_` and 43 base64url
    /// characters (32 random bytes): long enough that guessing is hopeless, short enough to paste.
    public func issueToken(for member: String) throws -> (token: String, tokenId: String) {
        var pool = RandomPool(), bytes: [UInt8] = []
        try pool.take(32, appendingTo: &bytes)
        let token = "bbt_" + Data(bytes).base64EncodedString()
            .replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
        let hash = KeyStore.tokenHash(token)
        try env.write { try $0.put(tokens, hash, Array(member.utf8)) }
        return (token, KeyStore.tokenId(hash))
    }

    /// The member a token belongs to, or nil for a token never issued or since revoked.
    public func member(forToken token: String) throws -> String? {
        try member(forTokenHash: KeyStore.tokenHash(token))
    }

    /// As `member(forToken:)`, given the token's hash (`tokenHash`).
    public func member(forTokenHash hash: [UInt8]) throws -> String? {
        try env.read { try $0.get(tokens, hash).map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Removes every token of `member`; returns how many there were.
    @discardableResult
    public func revokeTokens(of member: String) throws -> Int {
        let name = Array(member.utf8)
        return try env.write { txn in
            var doomed: [[UInt8]] = []
            let cursor = try txn.cursor(tokens)
            try cursor.forEach { e in
                if Array(e.value) == name { doomed.append(Array(e.key)) }
                return true
            }
            for key in doomed { _ = try txn.delete(tokens, key) }
            return doomed.count
        }
    }

    public static func tokenHash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }

    /// The first 8 bytes of the hash, in hex: names a token in the log without revealing it.
    public static func tokenId(_ hash: [UInt8]) -> String { hash.prefix(8).map { String(format: "%02x", $0) }.joined() }
}
