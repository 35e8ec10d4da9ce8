import JSON
import Ledger
import Privacy

/// Enrols, changes and revokes members: each change is an event in the log (so an audit shows
/// who could do what, when) and, for tokens, a change in the key store. Used by the local
/// `member` commands and by the server's admin routes alike.
public struct MemberDesk {
    let ledger: Ledger
    let keyStore: KeyStore
    /// Who records the change: the admin at the server, or the local worker.
    let recordedBy: String

    public init(ledger: Ledger, keyStore: KeyStore, recordedBy: String) {
        self.ledger = ledger
        self.keyStore = keyStore
        self.recordedBy = recordedBy
    }

    /// Enrols `name` with `role`; returns the token, which is shown once and stored only as a hash.
    public func enrol(_ name: String, role: Role) throws -> (member: Member, token: String) {
        guard MemberDesk.isName(name) else {
            throw LedgerError(.refused, "member \(name): a name is lower-case letters, digits, . _ -, at most 64, starting with a letter or digit")
        }
        let roster = try ledger.read(Roster.read)
        if let existing = roster.members[name] {
            throw LedgerError(.conflict, existing.active
                ? "member \(name) is already enrolled (as \(existing.role.rawValue)); change the role with `member role`"
                : "member \(name) was revoked; enrol them under a new name")
        }
        let (token, tokenId) = try keyStore.issueToken(for: name)
        do {
            let position = try record(Roster.enrolled, name: name, expected: "none",
                                      data: JSONObject([("name", .string(name)), ("role", .string(role.rawValue)), ("token_id", .string(tokenId))]))
            return (Member(name: name, role: role, active: true, tokenId: tokenId, enrolledAt: position, changedAt: position), token)
        } catch {
            try? keyStore.revokeTokens(of: name)
            throw error
        }
    }

    public func changeRole(of name: String, to role: Role) throws {
        let member = try activeMember(name)
        guard member.role != role else { throw LedgerError(.conflict, "member \(name) already has the role \(role.rawValue)") }
        _ = try record(Roster.roleChanged, name: name, expected: "exists",
                       data: JSONObject([("role", .string(role.rawValue)), ("previous_role", .string(member.role.rawValue))]))
    }

    /// Revokes `name`: their tokens are removed first, so they stop working even if the event
    /// cannot be written; then the revocation is recorded.
    public func revoke(_ name: String, reason: String?) throws {
        _ = try activeMember(name)
        try keyStore.revokeTokens(of: name)
        var data = JSONObject()
        if let reason, !reason.isEmpty { data["reason"] = .string(reason) }
        _ = try record(Roster.revoked, name: name, expected: "exists", data: data)
    }

    private func activeMember(_ name: String) throws -> Member {
        let roster = try ledger.read(Roster.read)
        guard let member = roster.members[name] else {
            throw LedgerError(.refused, "no member \(name)\(Self.hint(name, roster))")
        }
        guard member.active else { throw LedgerError(.conflict, "member \(name) was revoked") }
        return member
    }

    private static func hint(_ name: String, _ roster: Roster) -> String {
        roster.members.isEmpty ? " (no members yet: `buurtboek member add NAME --role ROLE`)" : " (see `buurtboek member list`)"
    }

    private func record(_ type: String, name: String, expected: String, data: JSONObject) throws -> UInt64 {
        var line = JSONObject()
        line["type"] = .string(type)
        line["stream"] = .string(Roster.stream(of: name))
        line["expectedVersion"] = .string(expected)
        line["data"] = .object(data)
        let outcomes = try ledger.append(preparing: { catalogue in
            [try EventPreparer(catalogue: catalogue, defaultWorker: recordedBy).prepare(line: JSONWriter.canonical(.object(line)), source: "member \(name)")]
        })
        switch outcomes[0] {
        case .appended(let position, _), .alreadyRecorded(let position): return position
        case .refused(let error): throw error
        }
    }

    public static func isName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), bytes[0].isLowerAlnum else { return false }
        return bytes.allSatisfy { $0.isLowerAlnum || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}

extension UInt8 {
    var isLowerAlnum: Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
}
