import JSON
import TextFormats

/// How a reader names one event: by its position ("42") or by its id (a UUID), as `show`
/// and the server's /v1/events/{ref} take it.
public enum EventReference {
    public static func position(_ text: String, in snapshot: LedgerSnapshot) throws -> UInt64 {
        if let position = UInt64(text) {
            guard position >= 1, position <= (try snapshot.size()) else {
                throw LedgerError(.refused, "no event at position \(text) (the log holds \(try snapshot.size()))")
            }
            return position
        }
        guard let id = UUIDText.parse(text) else { throw LedgerError(.refused, "\(text) is neither a position nor an event id") }
        guard let position = try snapshot.position(ofId: id) else { throw LedgerError(.refused, "no event with id \(text)") }
        return position
    }
}
