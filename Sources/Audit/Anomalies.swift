import Catalogue
import JSON
import Ledger
import TextFormats

/// What an auditor looks for in a history.
enum Anomalies {
    static let day: Int64 = 86_400_000_000

    static func find(_ kind: AuditTrail.Kind, trail: AuditTrail, snapshot: LedgerSnapshot, options: AuditTrail.Options) throws -> [AuditTrail.Anomaly] {
        var found: [AuditTrail.Anomaly] = []
        var previous: AuditTrail.Event?
        for event in trail.events {
            if let previous, event.stream == previous.stream, event.occurredAt < previous.occurredAt {
                found.append(.init(position: event.position, kind: "out_of_order",
                                   message: "\(event.type) occurred \(RFC3339.format(event.occurredAt)), before the \(previous.type) recorded ahead of it (\(RFC3339.format(previous.occurredAt)))"))
            }
            let delay = event.recordedAt - event.occurredAt
            if delay > Int64(options.lateAfterDays) * day {
                found.append(.init(position: event.position, kind: "recorded_late",
                                   message: "\(event.type) was recorded \(delay / day) days after it occurred (threshold \(options.lateAfterDays))"))
            }
            previous = event
        }
        let main = trail.events.filter { $0.stream == trail.streams[0] }
        let finalState = main.last?.stateAfter ?? Lifecycle.initialState
        let terminal = trail.lifecycle?.terminal.contains(finalState) ?? false
        switch kind {
        case .referral:
            guard let made = main.first(where: { $0.type == "referral.made" }) else { break }
            if let due = made.data["due_date"]?.string.flatMap(RFC3339.parse), !terminal, options.now > due + day {
                found.append(.init(position: nil, kind: "overdue",
                                   message: "no terminal event although the due date \(RFC3339.formatDay(Int(due / day))) has passed (state \(finalState))"))
            }
            if made.data["handover"]?.string == "warm",
               let contact = main.first(where: { $0.type == "referral.first_contact_made" }),
               contact.data["accompanied_by_referrer"]?.bool == false {
                found.append(.init(position: contact.position, kind: "warm_handover_unaccompanied",
                                   message: "a warm handover, but the first contact was made without the referrer"))
            }
            if made.data["shares_data"]?.bool == true, let resident = made.data["resident_id"]?.string,
               let organisation = made.data["target_organisation"]?.string,
               !(try consentHeld(resident: resident, organisation: organisation, before: made.position, snapshot: snapshot)) {
                found.append(.init(position: made.position, kind: "shared_without_consent",
                                   message: "data was shared with \(organisation) without the resident's consent to share with it"))
            }
        case .signal:
            if let escalated = main.last(where: { $0.type == "signal.escalated" }),
               let due = escalated.data["response_due"]?.string.flatMap(RFC3339.parse),
               !main.contains(where: { $0.type == "signal.responded" && $0.position > escalated.position }), options.now > due + day {
                found.append(.init(position: escalated.position, kind: "response_overdue",
                                   message: "no response although it was due on \(RFC3339.formatDay(Int(due / day)))"))
            }
        case .resident:
            break
        }
        return found
    }

    /// Whether the resident had given consent to share with the organisation, not withdrawn,
    /// before `position`.
    static func consentHeld(resident: String, organisation: String, before position: UInt64, snapshot: LedgerSnapshot) throws -> Bool {
        var held = false
        let parser = JSONParser()
        for (_, p) in try snapshot.streamPositions(DataKeyId.residentStream(resident)) where p < position {
            let record = try snapshot.record(at: p)!
            guard record.type == "consent.given" || record.type == "consent.withdrawn" else { continue }
            let data = try parser.value(Array(record.data))
            guard data["scope"]?.string == "share_with_organisation", data["organisation_id"]?.string == organisation else { continue }
            held = record.type == "consent.given"
        }
        return held
    }
}
