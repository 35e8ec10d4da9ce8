/// How `buurtboek serve` was asked to run.
public struct ServerSettings: Sendable {
    public var ledgerPath: String
    public var masterKeyPath: String
    public var host: String
    public var port: Int
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var insecure = false
    /// The largest request body: an import sends its file in batches well under it.
    public var maxBodyBytes = 16 << 20
    /// A connection idle this long (a slow or silent client) is closed.
    public var idleSeconds: Int64 = 30
    /// After `idleSeconds` of grace, a request's body must keep up this many bytes a second on
    /// average, or its connection is closed (a client that trickles, never quite idle).
    public var minBodyRate = 500
    /// The checkpoint signer key (C2SP skey text) an admin's `checkpoint` signs with; none: the
    /// server signs no checkpoints.
    public var checkpointSigner: String?

    public init(ledgerPath: String, masterKeyPath: String, host: String, port: Int) {
        self.ledgerPath = ledgerPath
        self.masterKeyPath = masterKeyPath
        self.host = host
        self.port = port
    }

    public var usesTLS: Bool { tlsCertificate != nil }

    /// Loopback addresses: only this machine can reach them, so plain HTTP leaks nothing.
    public var isLoopback: Bool { ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.") }

    /// Why these settings must not run, if they must not.
    public func problem() -> String? {
        if (tlsCertificate == nil) != (tlsKey == nil) { return "--tls-cert and --tls-key go together" }
        if !usesTLS && !isLoopback && !insecure {
            return "--listen \(host): tokens and events would cross the network unencrypted; give --tls-cert and --tls-key (or --insecure, on a network you trust)"
        }
        return nil
    }

    /// Parses HOST:PORT ([::1]:PORT for IPv6).
    public static func address(_ text: String) -> (host: String, port: Int)? {
        var host: Substring, portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        return (String(host), port)
    }
}
