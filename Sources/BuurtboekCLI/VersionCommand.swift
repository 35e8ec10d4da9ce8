import ArgumentParser
import Catalogue
import Ledger
#if canImport(Glibc)
import Glibc
import Merkle
#endif

/// `buurtboek --version`: what this build is, which ledgers it reads, and which catalogue a new
/// ledger gets from it (a support question's first three answers).
struct VersionCommand: ParsableCommand {
    static let version = "0.2.0"

    func run() throws {
        print("buurtboek \(Self.version)")
        print("ledger format \(Ledger.formatVersion) (upgrades formats 1-\(Ledger.formatVersion - 1) in place)")
        do {
            let directory = try SchemaLocation.resolve(nil)
            let catalogue = try Catalogue.load(directory: directory)
            print("catalogue \(directory): \(catalogue.typeCount) event types, sha256 \(Hash.sha256(catalogue.bundle).hex)")
        } catch {
            print("catalogue: none found (\((error as? CLIError)?.message ?? "\(error)"))")
        }
    }
}

/// Event type names for shell completion: the catalogue of the ledger in $BUURTBOEK_LEDGER (or
/// ./buurtboek.ledger) when there is one, else the catalogue a new ledger would get.
enum TypeNames {
    @Sendable static func complete(_ words: [String]) -> [String] {
        let given = words.firstIndex(of: "--ledger").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
        let path = given ?? Environment.value("BUURTBOEK_LEDGER") ?? "buurtboek.ledger"
        if access(path + "/data.mdb", R_OK) == 0, let ledger = try? Ledger.open(at: path) { return ledger.catalogue.typeNames }
        return (try? SchemaLocation.loadCatalogue(nil).typeNames) ?? []
    }
}
