import Foundation
import XCTest
@testable import Audit
@testable import Ledger

/// The C2SP signed notes of the shared test vectors (a copy lives in Tests/MerkleTests/Fixtures).
struct NoteVectors: Decodable {
    struct Note: Decodable { let name: String; let vkey: String; let skey: String?; let note: String; let expect_valid: Bool }
    let signed_notes: [Note]

    static func load() throws -> [Note] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MerkleTests/Fixtures/merkle-vectors.json")
        return try JSONDecoder().decode(NoteVectors.self, from: Data(contentsOf: url)).signed_notes
    }
}

final class SignedNoteTests: XCTestCase {
    func testC2SPVectorsVerifyOrFailAsExpected() throws {
        let notes = try NoteVectors.load()
        XCTAssertGreaterThan(notes.count, 3)
        for v in notes {
            let verifier = try NoteVerifier(vkey: v.vkey)
            let valid = (try? verifier.verify(v.note)) != nil
            XCTAssertEqual(valid, v.expect_valid, v.name)
        }
    }

    func testSigningWithAVectorKeyReproducesItsNote() throws {
        for v in try NoteVectors.load() where v.skey != nil && v.expect_valid {
            let signer = try NoteSigner(skey: v.skey!)
            XCTAssertEqual(signer.vkey, v.vkey)
            let text = try SignedNote.split(v.note).text
            XCTAssertEqual(try signer.sign(text), v.note, "Ed25519 is deterministic: the same note, byte for byte (\(v.name))")
        }
    }

    func testGeneratedKeysRoundTripAndForgeriesFail() throws {
        let signer = try NoteSigner.generate(name: "buurtboek.example/noord")
        let again = try NoteSigner(skey: signer.skey)
        XCTAssertEqual(again.vkey, signer.vkey)
        let note = try signer.sign("buurtboek.example/noord\n5\nAAAA\n")
        let verifier = try NoteVerifier(vkey: signer.vkey)
        XCTAssertEqual(try verifier.verify(note), "buurtboek.example/noord\n5\nAAAA\n")
        XCTAssertThrowsError(try verifier.verify(note.replacingOccurrences(of: "\n5\n", with: "\n6\n")))
        let other = try NoteVerifier(vkey: try NoteSigner.generate(name: "buurtboek.example/noord").vkey)
        XCTAssertThrowsError(try other.verify(note), "another key of the same name")
        XCTAssertThrowsError(try NoteSigner.generate(name: "with space"))
    }
}
