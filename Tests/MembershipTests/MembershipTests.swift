import Foundation
import XCTest
import Catalogue
import Ledger
@testable import Membership
@testable import Privacy

final class MembershipTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = NSTemporaryDirectory() + "buurtboek-members-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func desk() throws -> (Ledger, KeyStore, MemberDesk) {
        let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Schemas").path
        let ledger = try Ledger.create(at: dir + "/ledger", catalogue: try Catalogue.load(directory: schemas))
        try MasterKey.create(at: dir + "/master.key")
        let store = try KeyStore(ledgerPath: ledger.path, masterKey: try MasterKey.load(from: dir + "/master.key"))
        return (ledger, store, MemberDesk(ledger: ledger, keyStore: store, recordedBy: "admin"))
    }

    /// The roster is the log's member events folded: enrol, change a role, revoke; a token
    /// names its member until the member is revoked, and only its hash is stored.
    func testTheRosterFollowsTheMemberEventsAndTokensEndWithRevocation() throws {
        let (ledger, store, desk) = try desk()
        let (joris, token) = try desk.enrol("w-joris", role: .worker)
        XCTAssertEqual(joris.role, .worker)
        XCTAssertTrue(token.hasPrefix("bbt_") && token.count == 47, token)
        XCTAssertEqual(try store.member(forToken: token), "w-joris")
        XCTAssertNil(try store.member(forToken: token + "x"))
        XCTAssertNil(try store.env.read { try $0.get(store.tokens, Array(token.utf8)).map { Array($0) } }, "the token itself is not a key")
        try desk.changeRole(of: "w-joris", to: .auditor)
        var roster = try ledger.read(Roster.read)
        XCTAssertEqual(roster.active("w-joris")?.role, .auditor)
        XCTAssertEqual(roster.members["w-joris"]?.tokenId, String(KeyStore.tokenId(KeyStore.tokenHash(token))))
        try desk.revoke("w-joris", reason: "left the team")
        try ledger.read { try roster.catchUp($0) }
        XCTAssertNil(roster.active("w-joris"))
        XCTAssertNil(try store.member(forToken: token))
        // Revoked is final: no second enrolment under the name, no role change.
        XCTAssertThrowsError(try desk.enrol("w-joris", role: .worker))
        XCTAssertThrowsError(try desk.changeRole(of: "w-joris", to: .worker))
        XCTAssertThrowsError(try desk.enrol("Joris!", role: .worker)) { XCTAssertTrue("\($0)".contains("a name is lower-case")) }
        XCTAssertEqual(try ledger.read { try $0.size() }, 3)
    }

    /// Each permission names its roles; an analyst reads reports and replays, nothing else.
    func testAnAnalystGetsReportsOnly() {
        let analyst = Permission.allCases.filter { $0.allows(.analyst) }
        XCTAssertEqual(analyst, [.readReports, .replay])
        XCTAssertEqual(Set(Permission.replay.roles), [.analyst, .auditor])
        XCTAssertFalse(Permission.readPersonalData.allows(.auditor))
        XCTAssertEqual(Permission.allCases.filter { $0.allows(.admin) }.contains(.manageMembers), true)
    }
}
