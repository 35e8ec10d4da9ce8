import Catalogue
import LMDB

/// A catalogue and the number it is stored under: the pair an event is validated with and the
/// writer checks it against, so that a catalogue installed meanwhile (by `catalogue update` in
/// another process, or through the server) can never have its number put on events another
/// catalogue validated.
public struct CatalogueInForce: Sendable {
    public let number: UInt32
    public let catalogue: Catalogue

    public init(number: UInt32, catalogue: Catalogue) {
        self.number = number
        self.catalogue = catalogue
    }

    /// The catalogue the ledger's meta names, loaded; nil when its number is `unless` (the
    /// caller has that one already).
    static func read(env: Environment, db: Ledger.Databases, path: String, unless known: UInt32?) throws -> CatalogueInForce? {
        let stored: (UInt32, [UInt8])? = try Ledger.wrap {
            try env.read { txn in
                let number = try txn.get(db.meta, MetaKey.catalogue).map(Keys.readU32) ?? 0
                if number == known { return nil }
                return (number, try db.catalogues.get(txn, number) ?? [])
            }
        }
        guard let (number, bundle) = stored else { return nil }
        do { return CatalogueInForce(number: number, catalogue: try Catalogue(bundle: bundle)) } catch {
            throw LedgerError.storage("\(path): the stored catalogue \(number) cannot be loaded: \(error)")
        }
    }

    /// The refusal of events validated by catalogue `stale` when `current` is in force.
    public static func outdated(_ stale: UInt32, current: UInt32) -> LedgerError {
        LedgerError(.conflict, "the catalogue was updated (to number \(current)) while this command ran; run it again")
    }
}
