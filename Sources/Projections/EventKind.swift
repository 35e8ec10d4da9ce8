import Ledger

/// The event types projectors switch on.
public enum EventKind: UInt8, Sendable {
    case residentJoined, residentLeft, residentErased, networkFounded, organisationJoined, organisationLeft
    case tieFormed, tieEnded, contactRecorded, activityHeld
    case initiativeProposed, initiativeSupported, initiativeFundingDecided, initiativeClosed
    case volunteerOffered, volunteerMatched, volunteerHoursLogged, volunteerEnded
    case referralMade, referralAccepted, referralDeclined, referralRejected, referralFirstContact, referralCompleted, referralClosed
    case signalRaised, signalBundled, signalEscalated, signalAcknowledged, signalResponded, signalResolved
    case signalFeedbackGiven, signalReopened
    case wellbeingMeasured, correction
    case other

    static let byName: [String: EventKind] = [
        "resident.joined_network": .residentJoined, "resident.left_network": .residentLeft, "resident.erased": .residentErased,
        "network.founded": .networkFounded, "organisation.joined_network": .organisationJoined,
        "organisation.left_network": .organisationLeft, "tie.formed": .tieFormed, "tie.ended": .tieEnded,
        "contact.recorded": .contactRecorded, "activity.held": .activityHeld, "initiative.proposed": .initiativeProposed,
        "initiative.supported": .initiativeSupported, "initiative.funding_decided": .initiativeFundingDecided,
        "initiative.closed": .initiativeClosed, "volunteer.hours_logged": .volunteerHoursLogged,
        "volunteer.offered": .volunteerOffered, "volunteer.matched": .volunteerMatched, "volunteer.ended": .volunteerEnded,
        "referral.made": .referralMade, "referral.accepted": .referralAccepted, "referral.declined": .referralDeclined,
        "referral.rejected": .referralRejected, "referral.first_contact_made": .referralFirstContact,
        "referral.completed": .referralCompleted, "referral.closed": .referralClosed,
        "signal.raised": .signalRaised, "signal.bundled": .signalBundled, "signal.escalated": .signalEscalated,
        "signal.acknowledged": .signalAcknowledged, "signal.responded": .signalResponded, "signal.resolved": .signalResolved,
        "signal.feedback_given": .signalFeedbackGiven, "signal.reopened": .signalReopened,
        "wellbeing.measured": .wellbeingMeasured, Correction.type: .correction,
    ]

    public init(name: String) { self = Self.byName[name] ?? .other }
}
