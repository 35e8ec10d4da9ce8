import XCTest
@testable import Projections

/// The stored byte form of every read model's rows, pinned: a row layout that changes without
/// a new model version would make stored read models unreadable or, worse, read wrongly.
final class RowLayoutTests: XCTestCase {
    private func hex<R: RowValue>(_ row: R) -> String { row.encoded.map { String(format: "%02x", $0) }.joined() }

    private func assertRoundTrip<R: RowValue & Equatable>(_ row: R, _ expected: String, line: UInt = #line) throws {
        XCTAssertEqual(hex(row), expected, "the byte layout of \(R.self) changed", line: line)
        XCTAssertEqual(try row.encoded.withUnsafeBytes { try R.decode($0) }, row, line: line)
    }

    func testEveryRowKeepsItsByteLayout() throws {
        var referral = ReferralsModel.Row()
        referral.neighbourhood = "BU1"; referral.organisation = "o"; referral.urgency = "u"
        referral.due = -3; referral.made = 5; referral.accompanied = false; referral.feedbackSent = true
        referral.closed = 9; referral.closeReason = "r"
        try assertRoundTrip(referral, "030000000000000042553101000000000000006f00000000000000000000000000000000000000000000000001000000000000007501fdffffffffffffff01050000000000000000000000010001090000000000000001000000000000007202")

        var network = NetworkModel.Row()
        network.kind = .network; network.neighbourhood = "BU2"
        network.spans = [.init(start: 1, end: nil), .init(start: 2, end: 3)]; network.erased = 4
        network.from = "a"; network.tieKind = "k"; network.brokered = true; network.tie = .init(start: 4, end: nil)
        network.theme = "t"
        network.partners = [.init(organisation: "org", organisationType: "care", span: .init(start: 1, end: 9))]
        try assertRoundTrip(network, "0303000000000000004255320200000000000000010000000000000000020000000000000001030000000000000001040000000000000001000000000000006100000000000000000000000000000000000000000000000001000000000000006b0101040000000000000000010000000000000074010000000000000003000000000000006f72670400000000000000636172650100000000000000010900000000000000")

        var signal = SignalsModel.Row()
        signal.neighbourhood = "BU3"; signal.structural = true; signal.state = "RESPONDED"; signal.raised = 1
        signal.stageMicros = [1, 2, 3, 4]; signal.pendingDue = 77; signal.answered = 2; signal.reopened = 1
        try assertRoundTrip(signal, "030000000000000042553300000000000000000100000000000000000900000000000000524553504f4e444544010100000000000000000000000000000001000000000000000200000000000000030000000000000004000000000000000000000000000000014d0000000000000002000000000000000000000000000000000000000000000000000100000000000000")

        var wellbeing = WellbeingModel.Row()
        wellbeing.neighbourhood = "BU4"
        wellbeing.instruments = [.init(name: "ons4", baseline: .init(at: 1, scores: [1, 2.5]), followUp: nil),
                                 .init(name: "x", baseline: nil, followUp: .init(at: 2, scores: []))]
        try assertRoundTrip(wellbeing, "0300000000000000425534020000000000000004000000000000006f6e73340101000000000000000200000000000000000000000000f03f000000000000044000010000000000000078000102000000000000000000000000000000")

        var initiative = InitiativesModel.Row()
        initiative.neighbourhood = "BU5"; initiative.proposed = 1; initiative.supportCount = 3
        initiative.amountGranted = 12.5; initiative.outcome = "continued_independently"
        try assertRoundTrip(initiative, "03000000000000004255350000000000000000010100000000000000000300000000000000000000000000000000000000000000000000000000000029400000000000000000000000000000000000001700000000000000636f6e74696e7565645f696e646570656e64656e746c79")

        var volunteer = VolunteersModel.Row()
        volunteer.neighbourhood = "BU6"; volunteer.matched = 7; volunteer.hoursLogged = 1.25; volunteer.ended = 8
        try assertRoundTrip(volunteer, "03000000000000004255360001070000000000000000000000000000000000000000000000000000000000f43f00000000000000000108000000000000000000000000000000")

        var overview = NeighbourhoodOverview.Row()
        overview.counts[0] = 1; overview.counts[overview.counts.count - 1] = 2; overview.volunteerHours = 0.5
        overview.groupContacts[0] = 3; overview.groupActivities[overview.groupActivities.count - 1] = 4
        try assertRoundTrip(overview, "0100000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000e03f030000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000400000000000000")
    }

    func testAnUnknownNetworkRowKindReadsAsNone() throws {
        var bytes = NetworkModel.Row().encoded
        bytes[0] = 200
        XCTAssertEqual(try bytes.withUnsafeBytes { try NetworkModel.Row.decode($0) }.kind, NetworkModel.Kind.none)
    }

    func testADamagedListCountIsAnErrorNotATrap() {
        // An empty neighbourhood (its length, 0), then the instruments' count.
        for count: Int64 in [-1, 1 << 40] {
            var bytes = [UInt8](repeating: 0, count: 8)
            withUnsafeBytes(of: count.littleEndian) { bytes.append(contentsOf: $0) }
            XCTAssertThrowsError(try bytes.withUnsafeBytes { try WellbeingModel.Row.decode($0) }, "count \(count)")
        }
    }
}
