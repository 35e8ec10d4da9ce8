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

    /// The catalogue the ledger's meta names: `known` itself when it is that one, else loaded.
    static func read(env: Environment, db: Ledger.Databases, path: String, reusing known: CatalogueInForce?) throws -> CatalogueInForce {
        let (number, bundle): (UInt32, [UInt8]?) = try Ledger.wrap {
            try env.read { txn in
                let number = try txn.get(db.meta, MetaKey.catalogue).map(Keys.readU32) ?? 0
                return (number, number == known?.number ? nil : try db.catalogues.get(txn, number) ?? [])
            }
        }
        if let known, known.number == number { return known }
        do { return CatalogueInForce(number: number, catalogue: try Catalogue(bundle: bundle ?? [])) } catch {
            throw LedgerError.storage("\(path): the stored catalogue \(number) cannot be loaded: \(error)")
        }
    }
}

/// Thrown inside a write transaction by `Appender.append` for events validated by a catalogue
/// that is no longer in force; nothing of them was written, and the transaction may go on. A
/// caller that can prepare its events again catches it there (the server's group commit,
/// `Ledger.append(preparing:)`); out of the transaction it becomes a conflict, "run it again".
public struct OutdatedCatalogue: Error {
    public let validatedBy: UInt32
    public let inForce: UInt32

    /// How often a caller prepares its events again before it gives the conflict to its own
    /// caller: each time means another catalogue was installed while it prepared.
    public static let attempts = 3

    public var conflict: LedgerError {
        LedgerError(.conflict, "the catalogue was updated (to number \(inForce)) while this command ran; run it again")
    }
}
