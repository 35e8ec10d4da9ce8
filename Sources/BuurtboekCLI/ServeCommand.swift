import ArgumentParser
import Audit
import Foundation
import Ledger
import Remote

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ledger to the team over HTTP(S).",
        discussion: Help.page("""
        The server holds the master key and the key store; members reach the ledger with their
        token (`buurtboek member add`), each as their role allows, through the API described in
        Schemas/api.openapi.yaml. Appends from many clients share write transactions and fsyncs
        (group commit); an append is answered once it is durable. Listening on anything but
        loopback needs TLS (--tls-cert and --tls-key), unless --insecure. One line per request
        goes to standard error; /metrics has Prometheus counters, /v1/health needs no token.
        SIGTERM or SIGINT stops it cleanly: requests in flight and their commits finish.

        The local CLI on the same machine keeps working beside it (LMDB serializes writers).

        EXAMPLES
          buurtboek serve --listen 127.0.0.1:8443
          buurtboek serve --listen 0.0.0.0:8443 --tls-cert server.pem --tls-key server.key
          buurtboek serve --listen 127.0.0.1:8443 --checkpoint-key ~/.buurtboek/noord.key
          openssl req -x509 -newkey ed25519 -nodes -days 365 -subj /CN=buurtboek.local \\
              -addext subjectAltName=DNS:buurtboek.local,IP:127.0.0.1 \\
              -keyout server.key -out server.pem
        """))

    @Option(help: ArgumentHelp("The address to listen on, HOST:PORT (port 0: any free port, printed).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8443"
    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("The server's certificate chain (PEM).", valueName: "file"))
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The certificate's private key (PEM).", valueName: "file"))
    var tlsKey: String?
    @Flag(help: "Allow plain HTTP on an address other than loopback.")
    var insecure = false
    @Option(name: .customLong("max-body"), help: ArgumentHelp("The largest request body in bytes.", valueName: "bytes"))
    var maxBody: Int = 16 << 20
    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Close a connection silent this many seconds (a slow or vanished client).", valueName: "seconds"))
    var idleTimeout: Int64 = 30
    @Option(name: .customLong("min-rate"), help: ArgumentHelp("After --idle-timeout seconds of grace, close a connection whose request body arrives slower than this on average (a client that trickles).", valueName: "bytes/s"))
    var minRate: Int = 500
    @Option(name: .customLong("checkpoint-key"), help: ArgumentHelp("The signer key an admin's `checkpoint` signs with (default: $BUURTBOEK_CHECKPOINT_KEY).", valueName: "file"))
    var checkpointKey: String?
    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var masterKey: MasterKeyOption

    func validate() throws {
        guard ServerSettings.address(listen) != nil else { throw ValidationError("--listen \(listen): expected HOST:PORT, e.g. 127.0.0.1:8443") }
        guard maxBody >= 4096 else { throw ValidationError("--max-body \(maxBody): at least 4096") }
        guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout \(idleTimeout): at least 1 second") }
        guard minRate >= 1 else { throw ValidationError("--min-rate \(minRate): at least 1 byte a second") }
    }

    func run() throws {
        guard let serve = Network.serve else { try Network.handOver() }
        let (host, port) = ServerSettings.address(listen)!
        var settings = ServerSettings(ledgerPath: ledger.path, masterKeyPath: masterKey.path ?? "", host: host, port: port)
        (settings.tlsCertificate, settings.tlsKey, settings.insecure, settings.maxBodyBytes) = (tlsCert, tlsKey, insecure, maxBody)
        (settings.idleSeconds, settings.minBodyRate) = (idleTimeout, minRate)
        if let problem = settings.problem() { throw CLIError(problem, code: ExitStatus.usage) }
        guard masterKey.path != nil else {
            throw CLIError("serve needs the master key: pass --master-key FILE or set $BUURTBOEK_MASTER_KEY_FILE", code: ExitStatus.refused)
        }
        if let path = checkpointKey ?? Environment.value("BUURTBOEK_CHECKPOINT_KEY") {
            let text = try KeyFiles.readPrivate(path)
            do { _ = try NoteSigner(skey: text) } catch { throw CLIError("--checkpoint-key \(path): \(error)", code: ExitStatus.storage) }
            settings.checkpointSigner = text
        }
        settings.ledgerPath = try ledger.open().path
        let path = settings.ledgerPath
        do {
            try serve(settings) { address in
                print("buurtboek serve: listening on \(address) (ledger \(path))")
                fflush(nil)
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw CLIError("serve: \(error)", code: ExitStatus.storage)
        }
        print("buurtboek serve: stopped")
    }
}
