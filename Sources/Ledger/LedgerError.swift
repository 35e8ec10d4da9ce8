/// What went wrong, sorted by what the caller can do about it; the CLI maps each kind to
/// its own exit code.
public struct LedgerError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The input breaks a schema, a lifecycle, a limit or an identity rule: fix the input.
        case refused
        /// The stream moved on since the writer looked (expected version): re-read and retry.
        case conflict
        /// The ledger itself: not a ledger, unreadable, corrupt, out of disk.
        case storage
        /// An integrity check failed (verify).
        case integrity

        /// As the server names it in an answer's `kind`.
        public var name: String {
            switch self {
            case .refused: "refused"
            case .conflict: "conflict"
            case .storage: "storage"
            case .integrity: "integrity"
            }
        }
    }

    public let kind: Kind
    public let message: String
    /// Lines of detail shown after the one-line message.
    public let details: [String]

    public init(_ kind: Kind, _ message: String, details: [String] = []) {
        self.kind = kind
        self.message = message
        self.details = details
    }

    public var description: String { message }

    static func refused(_ message: String, details: [String] = []) -> LedgerError { LedgerError(.refused, message, details: details) }
    static func storage(_ message: String) -> LedgerError { LedgerError(.storage, message) }
}
