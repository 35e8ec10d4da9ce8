import Ledger

/// What to show for personal fields whose data key the key store lacks. An erasure the log
/// holds is one fact ([erased], for good); a key store that never had the key is another
/// ([key missing]: a ledger restored without its keystore/, or with another ledger's), which
/// restoring the right key store mends. A wrong master key is a third, refused when the
/// store is opened.
enum MissingKey {
    static func label(_ keyId: String, ledger: Ledger, snapshot: LedgerSnapshot) throws -> String {
        if try snapshot.erasureDestroyed(keyId: keyId) { return "[erased]" }
        hint(keyId, ledger: ledger)
        return "[key missing]"
    }

    /// Says once per run how a missing key is mended.
    static func hint(_ keyId: String, ledger: Ledger) {
        guard !hinted else { return }
        hinted = true
        Terminal.writeError("note: the key store \(ledger.path)/keystore holds no data key \(keyId), and no erasure in the log destroyed it: restore keystore/ from this ledger's backup")
    }

    nonisolated(unsafe) private static var hinted = false
}
