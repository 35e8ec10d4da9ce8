import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import Membership
import Privacy
import Threads

/// Who is asking, and whether they may: every route but health and metrics passes here.
/// A token names a member through the key store (by its hash); the member's role and whether
/// they are still active come from the log, folded anew whenever it has grown, so a
/// revocation, by the server or by the local CLI on the same machine, takes effect at once.
final class Gate: @unchecked Sendable {
    private let ledger: Ledger
    private let keyStore: KeyStore
    private let lock = Lock()
    private var roster = Roster()
    /// Tokens seen valid, by hash: the member and the token's id. A token found here admits
    /// only while the roster, read anew from the log, names that member active with that same
    /// token id, so a revocation or a new token ends it as it would in the key store, and the
    /// key store is read only for a token not seen before.
    private var recognised: [[UInt8]: (name: String, tokenId: String)] = [:]

    init(ledger: Ledger, keyStore: KeyStore) {
        self.ledger = ledger
        self.keyStore = keyStore
    }

    /// The member behind the request's bearer token, allowed `permission`; otherwise a refusal
    /// (401 without a valid token, 403 outside the member's role).
    /// `authorization` is the request's Authorization header, nil without one.
    func admit(authorization: String?, for permission: Permission) throws -> Member {
        guard let header = authorization else {
            throw Refusal(.unauthorized, "no token: send Authorization: Bearer TOKEN (`buurtboek member add` makes one)")
        }
        guard header.hasPrefix("Bearer "), case let token = String(header.dropFirst(7)), !token.isEmpty else {
            throw Refusal(.unauthorized, "the Authorization header must be Bearer TOKEN")
        }
        let hash = KeyStore.tokenHash(token)
        let roster = try currentRoster()
        let member: Member
        if let known = lock.withLock({ recognised[hash] }), let current = roster.active(known.name), current.tokenId == known.tokenId {
            member = current
        } else {
            guard let name = try keyStore.member(forTokenHash: hash) else {
                throw Refusal(.unauthorized, "the token is not valid (unknown, or revoked)")
            }
            guard let current = roster.active(name) else { throw Refusal(.unauthorized, "member \(name) is revoked") }
            let tokenId = KeyStore.tokenId(hash)
            if current.tokenId == tokenId { lock.withLock { recognised[hash] = (name, tokenId) } }
            member = current
        }
        guard permission.allows(member.role) else {
            let roles = permission.roles.map(\.rawValue).sorted().joined(separator: " or ")
            throw Refusal(.forbidden, "\(member.name) is \(member.role.rawValue); this needs the role \(roles)")
        }
        return member
    }

    func currentRoster() throws -> Roster {
        lock.lock()
        defer { lock.unlock() }
        try ledger.read { try roster.catchUp($0) }
        return roster
    }
}

/// A request refused with an HTTP status and one line saying why (sent as {"error": ...}).
struct Refusal: Error {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }
}
