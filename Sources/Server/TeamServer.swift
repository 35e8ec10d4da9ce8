import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Ledger
import Logging
import Membership
import NIOCore
import NIOSSL
import Privacy
import Remote
import Threads

/// One ledger for a whole organisation: `buurtboek serve`. The server alone holds the master
/// key and the key store; members reach the ledger through the routes their role allows
/// (`Permission`), and every append goes through one group-committing writer.
public final class TeamServer: Sendable {
    let settings: ServerSettings
    let ledger: Ledger
    let keyStore: KeyStore
    let sealer: Sealer
    let gate: Gate
    let commits: GroupCommit
    let metrics = ServerMetrics()
    let logger: Logger
    /// Reports, catch-ups and replays; verify and stats (see `Desk`).
    let readModels: Desk
    let scans: Desk

    public init(_ settings: ServerSettings) throws {
        self.settings = settings
        keyStore = try KeyStore(ledgerPath: settings.ledgerPath, masterKey: try MasterKey.load(from: settings.masterKeyPath))
        sealer = Sealer(keyStore: keyStore)
        ledger = try Ledger.open(at: settings.ledgerPath, sharedByThreads: true, sealer: sealer)
        gate = Gate(ledger: ledger, keyStore: keyStore)
        readModels = try Desk()
        scans = try Desk()
        let metrics = self.metrics
        let sealer = self.sealer
        commits = try GroupCommit(ledger: ledger, persistKeys: { try sealer.persist() }, committed: { metrics.committed($0) })
        var logger = Logger(label: "buurtboek.serve") { _ in ServerLogHandler() }
        logger.logLevel = .info
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT: then it stops taking connections, lets the requests in
    /// flight finish (their commits included), ends the followers' streams, and returns.
    /// `listening` is told the address once the socket is bound (the port, when 0 was asked).
    public func run(listening: @escaping @Sendable (String) -> Void) async throws {
        let router = Router()
        router.add(middleware: RequestLog(server: self))
        FactRoutes(server: self).add(to: router)
        EventRoutes(server: self).add(to: router)
        ImportRoute(server: self).add(to: router)
        ReportRoutes(server: self).add(to: router)
        ProjectionRoutes(server: self).add(to: router)
        AuditRoutes(server: self).add(to: router)
        let (grace, rate, logger) = (settings.idleSeconds, settings.minBodyRate, logger)
        let http = HTTP1Channel.Configuration(additionalChannelHandlers: [RequestPace(grace: .seconds(grace), minRate: rate, logger: logger)],
                                              idleTimeout: .seconds(settings.idleSeconds))
        let scheme = settings.usesTLS ? "https" : "http"
        let http1 = HTTPServerBuilder { responder in LaneChannel(base: HTTP1Channel(responder: responder, configuration: http), server: self) }
        let server: HTTPServerBuilder = try settings.tlsCertificate.map { cert in
            try .tls(http1, tlsConfiguration: try tlsConfiguration(certificate: cert, key: settings.tlsKey ?? ""))
        } ?? http1
        let app = Application(router: router, server: server,
                              configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "buurtboek"),
                              onServerRunning: { channel in
                                  let port = channel.localAddress?.port ?? 0
                                  listening("\(scheme)://\(self.settings.host.contains(":") ? "[\(self.settings.host)]" : self.settings.host):\(port)")
                              },
                              logger: logger)
        try await app.runService()
        commits.drain()
    }

    private func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
        } catch {
            throw LedgerError(.storage, "--tls-cert \(certificate) / --tls-key \(key): cannot load them as PEM (\(error))")
        }
    }

    /// Runs `body` for the member the request authenticates, if their role allows `permission`.
    func guarded(_ request: Request, _ permission: Permission, _ body: (Member) async throws -> Response) async throws -> Response {
        do {
            let member = try admit(request.method, request.uri.path, authorization: request.headers[.authorization], for: permission)
            return try await body(member)
        } catch {
            return Reply.failure(error)
        }
    }

    /// The member a request's token names, allowed `permission` (`Gate`); a refusal is logged,
    /// with the request and why, before it is thrown. Routed requests and the append lane alike.
    func admit(_ method: HTTPRequest.Method, _ path: String, authorization: String?, for permission: Permission) throws -> Member {
        do { return try gate.admit(authorization: authorization, for: permission) } catch let refusal as Refusal {
            logger.warning("refused \(method) \(path): \(refusal.message)")
            throw refusal
        }
    }

    /// The request log line (method, path, status, milliseconds) and the request counter, for
    /// every answer, routed or from the append lane.
    func answered(_ method: HTTPRequest.Method, _ path: String, status: Int, since start: ContinuousClock.Instant) {
        logger.info("\(method) \(path) \(status) \(millisecondsText(ContinuousClock.now - start))ms")
        metrics.request(status: status)
    }

    /// Prepares a request's lines (parse, validate, seal) as `member` with the catalogue
    /// `inForce`, whatever a line says of recordedBy: a large batch on every core, in slices
    /// each with a preparer of its own (a preparer owns a parser), the order of the lines kept.
    /// Returns the prepared events, the index of each one's line, and the lines refused.
    func prepare(_ lines: [ArraySlice<UInt8>], by member: String, numbers: [Int], with inForce: CatalogueInForce,
                 refusesDoubles: Bool = false) -> Prepared {
        let slices = lines.count < 256 ? 1 : TeamServer.cores
        let size = (lines.count + slices - 1) / slices
        let parts = PreparedParts(count: slices)
        let now = Clock.nowMicros()
        parallel(slices) { slice in
            let preparer = EventPreparer(catalogue: inForce.catalogue, defaultWorker: member, sealer: sealer, derivesIds: true,
                                         recorderIsFixed: true, refusesDoubles: refusesDoubles, now: now)
            var part: (events: [PreparedEvent], lines: [Int], refusals: [(Int, LedgerError)]) = ([], [], [])
            for i in (slice * size)..<min(lines.count, (slice + 1) * size) {
                do {
                    part.events.append(try lines[i].withUnsafeBytes { try preparer.prepare(line: $0, source: .line(numbers[i])) })
                    part.lines.append(i)
                } catch let error as LedgerError {
                    part.refusals.append((i, error))
                } catch {
                    part.refusals.append((i, LedgerError(.refused, "line \(numbers[i]): \(error)")))
                }
            }
            parts.set(slice, part)
        }
        var all: (events: [PreparedEvent], lines: [Int], refusals: [(Int, LedgerError)]) = ([], [], [])
        for part in parts.parts {
            all.events += part.events
            all.lines += part.lines
            all.refusals += part.refusals
        }
        return Prepared(events: all.events, lines: all.lines, refusals: all.refusals, validatedBy: inForce.number)
    }

    /// The whole body of `request`, refused with 413 when it is over `--max-body`.
    func body(of request: Request, advice: String = "") async throws -> ByteBuffer {
        var request = request
        do { return try await request.collectBody(upTo: settings.maxBodyBytes) } catch {
            throw Refusal(.contentTooLarge, "the body is over the \(settings.maxBodyBytes)-byte limit\(advice)")
        }
    }

    struct Prepared: Sendable {
        let events: [PreparedEvent]
        /// The index of each event's line, and the lines refused.
        let lines: [Int]
        let refusals: [(Int, LedgerError)]
        let validatedBy: UInt32
    }

    /// Prepares `lines` and appends them in the next group commit. When a catalogue was
    /// installed meanwhile (a `catalogue update` on the server's machine, or by an admin
    /// through the server), the server reads it and prepares the lines again under it, so a
    /// worker never sees that the catalogue changed unless their events now break it.
    func append(_ lines: [ArraySlice<UInt8>], by member: String, numbers: [Int], again: Bool = false) async throws -> (Prepared, [AppendOutcome]) {
        try await withCheckedThrowingContinuation { continuation in
            append(lines, by: member, numbers: numbers, again: again, preparingOn: { job in Task { job() } }) { continuation.resume(with: $0) }
        }
    }

    /// As `append(_:by:numbers:)`, for a caller that cannot await (the append lane, on its
    /// event loop): the lines are prepared now, on the caller's thread, and `done` is called
    /// once their commit is durable, on the commit thread. A preparation again under a new
    /// catalogue runs on what `preparingOn` gives it, never on the commit thread.
    ///
    /// A single line is a worker's append: it is refused when it repeats its stream's last
    /// event within ten minutes, unless `again` (`append --again`, `?again=true`) says it
    /// happened twice. A batch of lines is a tool's, and relies on its ids.
    func append(_ lines: [ArraySlice<UInt8>], by member: String, numbers: [Int], again: Bool = false, attempt: Int = 1,
                preparingOn: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void,
                done: @escaping @Sendable (Result<(Prepared, [AppendOutcome]), Error>) -> Void) {
        let prepared = prepare(lines, by: member, numbers: numbers, with: ledger.inForce, refusesDoubles: lines.count == 1 && !again)
        if prepared.events.isEmpty { return done(.success((prepared, []))) }
        commits.append(prepared.events, validatedBy: prepared.validatedBy) { [self] result in
            switch result {
            case .success(let outcomes): done(.success((prepared, outcomes)))
            case .failure(let outdated as OutdatedCatalogue):
                // Catalogues installed faster than a request can be prepared: let the client retry.
                guard attempt < OutdatedCatalogue.attempts else { return done(.failure(outdated.conflict)) }
                preparingOn { [self] in
                    do { _ = try ledger.refreshCatalogue() } catch { return done(.failure(error)) }
                    append(lines, by: member, numbers: numbers, again: again, attempt: attempt + 1, preparingOn: preparingOn, done: done)
                }
            case .failure(let error): done(.failure(error))
            }
        }
    }

    static let cores = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))

    func desk(for admin: Member) -> MemberDesk {
        MemberDesk(ledger: ledger, keyStore: keyStore, recordedBy: admin.name)
    }
}

/// One line per request (method, path, status, milliseconds) and the request counter; an
/// error no route turned into a response (an unknown route, say) becomes a JSON one here.
struct RequestLog: RouterMiddleware {
    typealias Context = BasicRequestContext
    let server: TeamServer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do { response = try await next(request, context) } catch let error as HTTPError {
            let message = error.status == .notFound ? "no route \(request.method) \(request.uri.path) (see Schemas/api.openapi.yaml)" : "\(error.body ?? error.status.reasonPhrase)"
            response = Reply.error(error.status, message)
        } catch {
            response = Reply.failure(error)
        }
        server.answered(request.method, request.uri.path, status: response.status.code, since: start)
        return response
    }
}

extension TeamServer {
    /// Opens the ledger and serves until SIGTERM or SIGINT, blocking the calling thread (the
    /// CLI's). Errors opening the ledger, the key store or the certificates are thrown.
    public static func serve(_ settings: ServerSettings, listening: @escaping @Sendable (String) -> Void) throws {
        let server = try TeamServer(settings)
        try Blocking.run { try await server.run(listening: listening) }
    }
}

/// The slices of a request being prepared on several threads.
private final class PreparedParts: @unchecked Sendable {
    private let lock = Lock()
    private(set) var parts: [(events: [PreparedEvent], lines: [Int], refusals: [(Int, LedgerError)])]
    init(count: Int) { parts = Array(repeating: ([], [], []), count: count) }
    func set(_ i: Int, _ part: (events: [PreparedEvent], lines: [Int], refusals: [(Int, LedgerError)])) {
        lock.lock(); parts[i] = part; lock.unlock()
    }
}
