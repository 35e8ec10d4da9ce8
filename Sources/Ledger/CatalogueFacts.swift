import JSON
import Merkle

extension Ledger {
    /// `catalogue show` as JSON (`inForce`, `types`, `sha256`, `history` of `catalogue` and
    /// `fromPosition`): the CLI prints it for a ledger directory and the server answers it on
    /// /v1/catalogue/history, so both print the same. `inForce` is the caller's: a server reads
    /// it again first (another process may have installed a catalogue).
    public func catalogueFacts(_ inForce: CatalogueInForce) throws -> JSONObject {
        let history = try read { try $0.catalogueHistory() }
        return JSONObject([
            ("inForce", .int(Int64(inForce.number))), ("types", .int(Int64(inForce.catalogue.typeCount))),
            ("sha256", .string(Hash.sha256(inForce.catalogue.bundle).hex)),
            ("history", .array(history.map { .object(JSONObject([("catalogue", .int(Int64($0.number))), ("fromPosition", .int(Int64($0.from)))])) })),
        ])
    }
}
