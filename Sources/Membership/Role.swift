/// What a member of a team server may do. Each route of the server names the roles it serves;
/// nothing is allowed by default (see `Permission`).
public enum Role: String, CaseIterable, Sendable, Comparable {
    /// Records the work: appends and imports events, reads the log (personal fields opened and
    /// recorded in the access record under their name), the types and the counts.
    case worker
    /// Reads the read models, reports and replays only: aggregated, small cells suppressed,
    /// never an event, a personal field or a pseudonymous id.
    case analyst
    /// Checks the log: verify, checkpoints, proofs, audit trails, and events without their
    /// personal fields.
    case auditor
    /// Runs the server: members, the catalogue, erasure, checkpoint signing.
    case admin

    public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }

    public static let names = allCases.map(\.rawValue)
}

/// What a request asks to do, each served to the roles named here and refused to the rest.
public enum Permission: String, CaseIterable, Sendable {
    case appendEvents, readEvents, readPersonalData, readTypes, readStats
    case readReports, replay
    case verify, readCheckpoints, readProofs, readAuditTrails, followEvents
    case manageMembers, signCheckpoints, eraseResidents, updateCatalogue

    public var roles: Set<Role> {
        switch self {
        case .appendEvents, .readPersonalData: [.worker]
        case .readEvents, .followEvents: [.worker, .auditor]
        case .readTypes, .readStats: [.worker, .auditor, .admin]
        case .readReports: [.analyst]
        case .replay: [.analyst, .auditor]
        case .verify, .readCheckpoints, .readProofs: [.auditor, .admin]
        case .readAuditTrails: [.auditor]
        case .manageMembers, .signCheckpoints, .eraseResidents, .updateCatalogue: [.admin]
        }
    }

    public func allows(_ role: Role) -> Bool { roles.contains(role) }
}
