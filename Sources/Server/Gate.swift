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

    init(ledger: Ledger, keyStore: KeyStore) {
        self.ledger = ledger
        self.keyStore = keyStore
    }

    /// The member behind the request's bearer token, allowed `permission`; otherwise a refusal
    /// (401 without a valid token, 403 outside the member's role).
    func admit(_ request: Request, for permission: Permission) throws -> Member {
        try admit(authorization: request.headers[.authorization], for: permission)
    }

    /// As `admit(_:for:)`, given the request's Authorization header (nil without one).
    func admit(authorization: String?, for permission: Permission) throws -> Member {
        guard let header = authorization else {
            throw Refusal(.unauthorized, "no token: send Authorization: Bearer TOKEN (`buurtboek member add` makes one)")
        }
        guard header.hasPrefix("Bearer "), case let token = String(header.dropFirst(7)), !token.isEmpty else {
            throw Refusal(.unauthorized, "the Authorization header must be Bearer TOKEN")
        }
        guard let name = try keyStore.member(forToken: token) else {
            throw Refusal(.unauthorized, "the token is not valid (unknown, or revoked)")
        }
        let member = try currentRoster().active(name)
        guard let member else { throw Refusal(.unauthorized, "member \(name) is revoked") }
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
