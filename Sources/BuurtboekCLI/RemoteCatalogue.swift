import Catalogue
import Remote

/// The catalogue in force on a team server: `types` describes it and `append --field` reads
/// values as its schemas type them, exactly as they would on the server's own machine.
enum RemoteCatalogue {
    static func fetch(_ remote: RemoteLedger) throws -> Catalogue {
        let response = try remote.send(.GET, "/v1/catalogue")
        guard response.status == 200 else { throw RemoteError(response: response) }
        do { return try Catalogue(bundle: response.body) } catch {
            throw CLIError("\(remote.url): the server's catalogue cannot be loaded: \(error)", code: ExitStatus.storage)
        }
    }
}
