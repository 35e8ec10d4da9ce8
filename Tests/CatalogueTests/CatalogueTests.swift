import Foundation
import XCTest
@testable import Catalogue
import JSON

let schemasDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Schemas").path

final class CatalogueTests: XCTestCase {
    func testTheShippedCatalogueLoadsWithEveryTypeOfDomainMD() throws {
        let catalogue = try Catalogue.load(directory: schemasDirectory)
        let expected = ["network.founded", "resident.joined_network", "resident.left_network", "organisation.joined_network",
                        "organisation.left_network", "resident.erased", "consent.given", "consent.withdrawn", "tie.formed",
                        "tie.ended", "contact.recorded", "initiative.proposed", "initiative.supported",
                        "initiative.funding_decided", "activity.held", "initiative.closed", "volunteer.offered",
                        "volunteer.matched", "volunteer.hours_logged", "volunteer.ended", "referral.made", "referral.accepted",
                        "referral.declined", "referral.rejected", "referral.first_contact_made", "referral.completed",
                        "referral.closed", "wellbeing.measured", "signal.raised", "signal.bundled", "signal.escalated",
                        "signal.acknowledged", "signal.responded", "signal.resolved", "signal.feedback_given",
                        "signal.reopened", "ledger.correction_recorded",
                        // not in DOMAIN.md: the team server's members (README "Running a team server")
                        "member.enrolled", "member.role_changed", "member.revoked"]
        XCTAssertEqual(Set(catalogue.typeNames), Set(expected))
        for name in expected {
            let type = try XCTUnwrap(catalogue.type(name))
            XCTAssertFalse(type.fields.isEmpty, name)
        }
        // Free text is identifying; scores are special category; ids are pseudonymous.
        XCTAssertEqual(catalogue.type("signal.raised")?.dataClass(of: "description"), .i)
        XCTAssertEqual(catalogue.type("wellbeing.measured")?.dataClass(of: "ons4"), .s)
        XCTAssertEqual(catalogue.type("referral.made")?.dataClass(of: "resident_id"), .p)
        XCTAssertEqual(catalogue.type("referral.made")?.dataClass(of: "handover"), .n)
        XCTAssertFalse(catalogue.type("resident.erased")!.hasPersonalFields, "the erasure event holds no personal data")
    }

    func testTheBundleIsCanonicalAndRoundTrips() throws {
        let catalogue = try Catalogue.load(directory: schemasDirectory)
        let again = try Catalogue(bundle: catalogue.bundle)
        XCTAssertEqual(again.bundle, catalogue.bundle)
        XCTAssertEqual(again.typeNames, catalogue.typeNames)
    }

    func testReferralLifecycleIsData() throws {
        let referral = try XCTUnwrap(try Catalogue.load(directory: schemasDirectory).lifecycles["referral"])
        XCTAssertEqual(referral.allowedEvents(from: "none"), ["referral.made"])
        XCTAssertEqual(Set(referral.allowedEvents(from: "ACCEPTED")), ["referral.declined", "referral.first_contact_made", "referral.closed"])
        XCTAssertEqual(referral.terminal, ["DECLINED", "REJECTED", "CLOSED"])
        let closing = referral.transitions(for: "referral.closed")
        XCTAssertEqual(closing.count, 2)
        XCTAssertTrue(closing.allSatisfy { $0.when?.field == "reason" })
    }

    func testACatalogueWithAnUnclassifiedFieldIsRefused() throws {
        let dir = NSTemporaryDirectory() + "catalogue-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"streamKinds":{"thing":{"idPattern":"^thing-[0-9]+$"}},"types":{"thing.made":{"streamKind":"thing","versions":[1]}}}"#
            .write(toFile: dir + "/catalogue.json", atomically: true, encoding: .utf8)
        try #"{"type":"object","properties":{"note":{"type":"string"}},"additionalProperties":false}"#
            .write(toFile: dir + "/thing.made.v1.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Catalogue.load(directory: dir)) { XCTAssertTrue("\($0)".contains("x-data-class"), "\($0)") }
        try #"{"type":"object","properties":{"note":{"type":"string","x-data-class":"I"}}}"#
            .write(toFile: dir + "/thing.made.v1.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Catalogue.load(directory: dir)) { XCTAssertTrue("\($0)".contains("additionalProperties"), "\($0)") }
        try #"{"type":"object","properties":{"note":{"type":"string","x-data-class":"I"}},"additionalProperties":false}"#
            .write(toFile: dir + "/thing.made.v1.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(try Catalogue.load(directory: dir).typeNames, ["thing.made"], "an organisation's own type loads")
        // A lifecycle guard may only read non-personal fields: they are what the ledger sees in clear.
        try #"{"streamKinds":{"thing":{"idPattern":"^thing-[0-9]+$"}},"types":{"thing.made":{"streamKind":"thing","versions":[1]}},"lifecycles":{"thing":{"streamKind":"thing","transitions":[{"event":"thing.made","from":["none"],"to":"MADE","when":{"field":"note","equals":"x"}}]}}}"#
            .write(toFile: dir + "/catalogue.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Catalogue.load(directory: dir)) { XCTAssertTrue("\($0)".contains("non-personal field"), "\($0)") }
        // A type name is a key of the type index: no spaces, at most 255 bytes.
        for name in ["thing made", String(repeating: "t", count: 256)] {
            try #"{"streamKinds":{"thing":{"idPattern":"^thing-[0-9]+$"}},"types":{"\#(name)":{"streamKind":"thing","versions":[1]}}}"#
                .write(toFile: dir + "/catalogue.json", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Catalogue.load(directory: dir)) { XCTAssertTrue("\($0)".contains("1 to 255 bytes"), "\($0)") }
        }
    }

    func testAStoredCatalogueCompilesTypesOnFirstUse() throws {
        let stored = try Catalogue(bundle: try Catalogue.load(directory: schemasDirectory).bundle)
        XCTAssertEqual(stored.typeCount, 40)
        XCTAssertEqual(stored.versions(of: "referral.made"), [1, 2])
        let first = try XCTUnwrap(stored.type("referral.made"))
        XCTAssertEqual(first.version, 2, "without a version, the latest")
        XCTAssertTrue(first === stored.type("referral.made", version: 2), "compiled once, then reused")
        XCTAssertNil(stored.type("referral.made", version: 3))
        XCTAssertNil(stored.type("referral.teleported"))
        XCTAssertFalse(first.lifecyclePlan.isEmpty)
    }
}
