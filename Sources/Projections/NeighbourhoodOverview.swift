import JSON
import TextFormats

/// Counts per neighbourhood and day (reports roll days up into months, and `--from/--to` cut
/// at any day). Every figure is a sum of per-event contributions, so a correction is taken by
/// subtracting the event as it stood and adding it as amended.
public final class NeighbourhoodOverview: Projector {
    public static let name = "neighbourhoods"
    /// 2: contacts and activities per target group.
    public static let version = 2
    public static let summary = "per neighbourhood and day: members joined and left, contacts by mode, activities, attendance, new participants, initiatives, referrals, signals, volunteer hours"
    public static let foldWeight = 6.0
    public static let types: Set<String> = [
        "resident.joined_network", "resident.left_network", "contact.recorded", "activity.held",
        "initiative.proposed", "referral.made", "referral.completed", "signal.raised", "signal.escalated",
        "signal.resolved", "volunteer.hours_logged",
    ]

    /// The counters of a row, in their stored order.
    public enum Counter: Int, CaseIterable, Sendable {
        case membersJoined, membersLeft
        case dropIn, homeVisit, doorKnock, street, phone, digital, meeting
        case targetGroupContacts, newParticipants
        case activities, attendance
        case initiativesProposed, referralsMade, referralsCompleted
        case signalsRaised, signalsEscalated, signalsResolved

        static let modes: [String: Counter] = [
            "drop_in": .dropIn, "home_visit": .homeVisit, "door_knock": .doorKnock, "street": .street,
            "phone": .phone, "digital": .digital, "meeting": .meeting,
        ]
        public static let contactModes: [Counter] = [.dropIn, .homeVisit, .doorKnock, .street, .phone, .digital, .meeting]
        public static let outreach: [Counter] = [.homeVisit, .doorKnock]
    }

    /// The target groups of the catalogue (`target_groups` of contact.recorded and activity.held).
    public static let targetGroups = ["seniors", "youth", "children", "newcomers", "low_income", "families",
                                      "people_with_disabilities", "isolated_residents", "jobseekers"]
    static let targetGroupIndex = Dictionary(uniqueKeysWithValues: targetGroups.enumerated().map { ($1, $0) })

    public struct Row: RowValue, Equatable {
        public var counts = [Int64](repeating: 0, count: Counter.allCases.count)
        public var volunteerHours: Double = 0
        /// Contacts and activities naming each of `targetGroups`.
        public var groupContacts = [Int64](repeating: 0, count: NeighbourhoodOverview.targetGroups.count)
        public var groupActivities = [Int64](repeating: 0, count: NeighbourhoodOverview.targetGroups.count)

        public init() {}

        public subscript(_ c: Counter) -> Int64 { counts[c.rawValue] }

        /// The counters without a count of their own: their number is fixed by `Counter` and
        /// `targetGroups` (a change there is a new model version).
        public mutating func fields<V: RowFieldVisitor>(_ v: inout V) throws(V.Failure) {
            for i in counts.indices { try v.visit(&counts[i]) }
            try v.visit(&volunteerHours)
            for i in groupContacts.indices { try v.visit(&groupContacts[i]) }
            for i in groupActivities.indices { try v.visit(&groupActivities[i]) }
        }
    }

    /// Rows keyed `NEIGHBOURHOOD/YYYY-MM-DD`.
    public let rows = Rows<Row>("days")
    public var tables: [RowTable] { [rows] }

    public init() {}

    public static func key(neighbourhood: String, day: Int) -> String { neighbourhood + "/" + RFC3339.formatDay(day) }

    public static func split(_ key: String) -> (neighbourhood: String, day: Int)? {
        guard let slash = key.lastIndex(of: "/"), let micros = RFC3339.parse(String(key[key.index(after: slash)...])) else { return nil }
        return (String(key[..<slash]), Calendar.day(ofMicros: micros))
    }

    /// The fold's working copy of the rows it touches, keyed by (neighbourhood number, day) so
    /// that no string is built or hashed per event; written back to `rows` by `finish`.
    private var working: [Int64: Row] = [:]
    private var codes = NeighbourhoodCodes()

    public func apply(_ event: ProjectedEvent) { fold(event, sign: 1) }

    public func finish() {
        for (k, row) in working {
            rows.update(Self.key(neighbourhood: codes.names[Int(k >> 32)], day: Int(Int32(truncatingIfNeeded: k)))) { $0 = row }
        }
        working = [:]
    }

    public func correct(original: ProjectedEvent, amended: ProjectedEvent?, refold: Refold) throws {
        fold(original, sign: -1)
        if let amended { fold(amended, sign: 1) }
    }

    private func fold(_ e: ProjectedEvent, sign: Int64) {
        let code = codes.number(e.neighbourhoodBytes)
        let key = Int64(code) << 32 | Int64(UInt32(bitPattern: Int32(truncatingIfNeeded: e.day)))
        if working[key] == nil { working[key] = rows[Self.key(neighbourhood: codes.names[code], day: e.day)] ?? Row() }
        let data = e.data
        update(&working[key]!)
        func update(_ row: inout Row) {
            func add(_ c: Counter, _ n: Int64 = 1) { row.counts[c.rawValue] += sign * n }
            switch e.kind {
            case .residentJoined: add(.membersJoined)
            case .residentLeft: add(.membersLeft)
            case .contactRecorded:
                if let mode = data.string("mode"), let c = Counter.modes[mode] { add(c) }
                if data.bool("new_participant") == true { add(.newParticipants) }
                if data.hasElements("target_groups") { add(.targetGroupContacts) }
                data.forEachCode("target_groups", NeighbourhoodOverview.targetGroupIndex) { row.groupContacts[$0] += sign }
            case .activityHeld:
                add(.activities)
                data.forEachCode("target_groups", NeighbourhoodOverview.targetGroupIndex) { row.groupActivities[$0] += sign }
                add(.attendance, max(0, data.int("attendance") ?? 0))
                add(.newParticipants, max(0, data.int("new_participants") ?? 0))
            case .initiativeProposed: add(.initiativesProposed)
            case .referralMade: add(.referralsMade)
            case .referralCompleted: add(.referralsCompleted)
            case .signalRaised: add(.signalsRaised)
            case .signalEscalated: add(.signalsEscalated)
            case .signalResolved: add(.signalsResolved)
            case .volunteerHoursLogged: row.volunteerHours += Double(sign) * max(0, data.double("hours") ?? 0)
            default: break
            }
        }
    }
}

extension EventData {
    /// Calls `body` with the position in `index` of each distinct string of an array field
    /// (unknown ones skipped), without building an array.
    func forEachCode(_ key: String, _ index: [String: Int], _ body: (Int) -> Void) {
        var seen: UInt64 = 0
        func visit(_ s: String) {
            guard let i = index[s], i < 64, seen & (1 << UInt64(i)) == 0 else { return }
            seen |= 1 << UInt64(i)
            body(i)
        }
        if !overlay.isEmpty, let v = overlay[key] {
            for e in v.array ?? [] { if let s = e.string { visit(s) } }
            return
        }
        guard let node = node?[key], node.kind == .array else { return }
        for e in node.elements { if let s = e.string { visit(s) } }
    }

    /// Whether an array field holds at least one element.
    func hasElements(_ key: String) -> Bool {
        if !overlay.isEmpty, let v = overlay[key] { return !(v.array?.isEmpty ?? true) }
        guard let node = node?[key], node.kind == .array else { return false }
        return node.count > 0
    }
}

/// Numbers for neighbourhood codes, looked up by their bytes: codes up to 16 bytes (all CBS and
/// Flemish codes) are packed into two integers, so a lookup hashes 17 bytes and builds no string.
struct NeighbourhoodCodes {
    private struct Packed: Hashable { let a: UInt64, b: UInt64, length: Int }
    private var numbers: [Packed: Int] = [:]
    private var long: [String: Int] = [:]
    private(set) var names: [String] = []

    mutating func number(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count <= 16 else {
            let name = String(decoding: bytes, as: UTF8.self)
            if let n = long[name] { return n }
            names.append(name)
            long[name] = names.count - 1
            return names.count - 1
        }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
        let key = Packed(a: words.0, b: words.1, length: bytes.count)
        if let n = numbers[key] { return n }
        names.append(String(decoding: bytes, as: UTF8.self))
        numbers[key] = names.count - 1
        return names.count - 1
    }
}
