import JSON
import Ledger

/// A member of the team server as the log records them.
public struct Member: Sendable, Equatable {
    public let name: String
    public internal(set) var role: Role
    public internal(set) var active: Bool
    /// The id of their current token (the first 8 bytes of its SHA-256, in hex).
    public internal(set) var tokenId: String
    /// The positions of their enrolment and of the last change.
    public let enrolledAt: UInt64
    public internal(set) var changedAt: UInt64

    public var stream: String { Roster.stream(of: name) }

    /// As `member list --format json` prints it and the server's /v1/members answers.
    public var json: JSONValue {
        .object(JSONObject([("name", .string(name)), ("role", .string(role.rawValue)), ("active", .bool(active)),
                            ("tokenId", .string(tokenId)), ("enrolledAt", .int(Int64(enrolledAt))), ("changedAt", .int(Int64(changedAt)))]))
    }
}

/// Who is a member, with which role: folded from the `member.*` events of the log, so the log
/// itself shows who could do what, when. Only the tokens' hashes live elsewhere (the key store).
public struct Roster: Sendable {
    public private(set) var members: [String: Member] = [:]
    /// The log position folded through.
    public private(set) var position: UInt64 = 0

    public static let enrolled = "member.enrolled", roleChanged = "member.role_changed", revoked = "member.revoked"
    public static let types = [enrolled, roleChanged, revoked]
    static let streamPrefix = "member-"

    public init() {}

    public static func stream(of name: String) -> String { streamPrefix + name }

    /// The roster as the snapshot's log has it.
    public static func read(_ snapshot: LedgerSnapshot) throws -> Roster {
        var roster = Roster()
        try roster.catchUp(snapshot)
        return roster
    }

    /// Folds the member events recorded after `position`: cheap when there are none, so the
    /// server can call it on every request and see a revocation at once, even one made by the
    /// local CLI in another process.
    public mutating func catchUp(_ snapshot: LedgerSnapshot) throws {
        let size = try snapshot.size()
        guard size > position else { return }
        var positions: [UInt64] = []
        for type in Roster.types where snapshot.catalogue.versions(of: type) != nil {
            positions += try snapshot.positions(ofType: type).filter { $0 > position }
        }
        let parser = JSONParser()
        try snapshot.visit(positions.sorted()) { at, record in
            let data = try parser.value(Array(record.data)).object ?? JSONObject()
            apply(record.type, stream: record.stream, data: data, at: at)
        }
        position = size
    }

    mutating func apply(_ type: String, stream: String, data: JSONObject, at position: UInt64) {
        guard stream.hasPrefix(Roster.streamPrefix) else { return }
        let name = String(stream.dropFirst(Roster.streamPrefix.count))
        let role = data["role"]?.string.flatMap(Role.init(rawValue:))
        switch type {
        case Roster.enrolled:
            guard let role else { return }
            members[name] = Member(name: name, role: role, active: true, tokenId: data["token_id"]?.string ?? "",
                                   enrolledAt: position, changedAt: position)
        case Roster.roleChanged:
            guard let role else { return }
            members[name]?.role = role
            members[name]?.changedAt = position
        case Roster.revoked:
            members[name]?.active = false
            members[name]?.changedAt = position
        default: break
        }
    }

    /// The active member called `name`, if any.
    public func active(_ name: String) -> Member? {
        guard let member = members[name], member.active else { return nil }
        return member
    }

    public var sorted: [Member] { members.values.sorted { $0.name < $1.name } }
}
