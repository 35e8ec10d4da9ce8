import HTTPTypes
import Hummingbird
import JSON
import Ledger
import Membership
import NIOCore
import Privacy
import Projections
import ServiceLifecycle

/// The read models on the server: where they stand, catch-up (once, or each time the log
/// grows, as Server-Sent Events), and replays. The server's read models live beside its
/// ledger; an analyst's `project` keeps them current for everyone's reports.
struct ProjectionRoutes {
    let server: TeamServer

    func add(to router: Router<BasicRequestContext>) {
        router.get("/v1/projections") { request, _ in
            try await server.guarded(request, .readReports) { _ in try await server.readModels.run { try statuses(try Self.types(request, "names")) } }
        }
        router.post("/v1/projections") { request, _ in
            try await server.guarded(request, .readReports) { member in
                let rebuild = try Query.bool(request, "rebuild")
                let facts = try await server.readModels.run {
                    try catchUp(try Self.types(request, "names"), rebuild: rebuild, following: false, request, by: member)
                }
                return Reply.json(.object(facts))
            }
        }
        router.get("/v1/projections/follow") { request, _ in try await server.guarded(request, .readReports) { try follow(request, by: $0) } }
        router.post("/v1/replay") { request, _ in
            try await server.guarded(request, .replay) { member in try await server.readModels.run { try replay(request, by: member) } }
        }
    }

    /// Where each read model stands (`project --status`): ?names=a,b (default: all).
    private func statuses(_ types: [any Projector.Type]) throws -> Response {
        let store = try ReadModelStore(path: ReadModelStore.livePath(ledger: server.ledger.path))
        return Reply.json(.array(try Projection.statuses(types, ledger: server.ledger, store: store)))
    }

    /// One catch-up of the live read models (`project`), as `Projection.catchUpFacts`. A fold
    /// that opens sealed fields is recorded in the access record as the projection, with the
    /// member named. Run on `server.readModels`.
    private func catchUp(_ types: [any Projector.Type], rebuild: Bool, following: Bool, _ request: Request, by member: Member) throws -> JSONObject {
        let recorder = OpeningRecorder(server.sealer)
        let projection = Projection(ledger: server.ledger, sealer: recorder)
        let started = Clock.nowMicros()
        let store = try ReadModelStore(path: ReadModelStore.livePath(ledger: server.ledger.path))
        let statuses = try projection.catchUp(types, rebuild: rebuild, store: store)
        try server.recordOpenings(recorder, types, request, by: member)
        return Projection.catchUpFacts(statuses, seconds: Double(Clock.nowMicros() - started) / 1e6, following: following)
    }

    /// `project --follow`: a catch-up now (every model listed), then one each time the log
    /// has grown (only the models that moved), as Server-Sent Events whose id is the log's
    /// size that set it off. A client that reconnects (Last-Event-ID) is sent only what moved.
    private func follow(_ request: Request, by member: Member) throws -> Response {
        _ = try Self.types(request, "names")  // refused now, before the stream begins
        let rebuild = try Query.bool(request, "rebuild")
        let resumed = request.headers[.lastEventID].flatMap { UInt64($0) }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var reached: UInt64? = nil, quietSince = ContinuousClock.now
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let head = try server.ledger.read { try $0.size() }
                if head != reached {
                    let first = reached == nil
                    let following = !first || resumed != nil
                    let facts = try await server.readModels.run {
                        try catchUp(try Self.types(request, "names"), rebuild: first && rebuild, following: following, request, by: member)
                    }
                    reached = head
                    if first || !(facts["models"]?.array ?? []).isEmpty {
                        try await writer.write(ByteBuffer(string: "id: \(head)\nevent: catchup\ndata: \(JSONWriter.ordered(.object(facts)))\n\n"))
                        quietSince = .now
                    }
                } else if ContinuousClock.now - quietSince > .seconds(15) {
                    try await writer.write(ByteBuffer(string: ": still here\n\n"))
                    quietSince = .now
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            try await writer.finish(nil)
        })
    }

    /// `replay`: the log folded from position 1 (to ?at or ?asOf) into the server's own
    /// scratch store (LEDGER/replay-server), with ?check=true compared with the live read
    /// models. An analyst is told how many rows differ per table, an auditor which. Run on
    /// `server.readModels`.
    private func replay(_ request: Request, by member: Member) throws -> Response {
        let types = try Self.types(request, "projection")
        let recorder = OpeningRecorder(server.sealer)
        let projection = Projection(ledger: server.ledger, sealer: recorder)
        let check = try Query.bool(request, "check")
        let knowledge = try ReportRoutes.knowledge(request)
        if check && knowledge != nil { throw Refusal(.badRequest, "?check compares with the live read models, which stand at the head of the log: leave out ?at and ?asOf") }
        let target = try knowledge?.target(projection, option: "?at")
        let replay = Replay(types: types, position: try target?.position ?? projection.head(), label: target?.label,
                            scratch: server.ledger.path + "/replay-server", live: check ? ReadModelStore.livePath(ledger: server.ledger.path) : nil)
        let result = try replay.run(projection) { try server.recordOpenings(recorder, types, request, by: member) }
        return Reply.json(.object(replay.json(result, rowsShown: member.role != .analyst)))
    }

    /// The read models a query names (comma-separated, or repeated), all when it names none.
    static func types(_ request: Request, _ name: String) throws -> [any Projector.Type] {
        var types: [any Projector.Type] = []
        for value in request.uri.queryParameters.getAll(name) {
            for part in value.split(separator: ",") {
                guard let type = Projectors.named(String(part)) else {
                    throw Refusal(.unprocessableContent, "?\(name): no read model \(part) (there are \(Projectors.all.map { $0.name }.joined(separator: ", ")))")
                }
                types.append(type)
            }
        }
        return types.isEmpty ? Projectors.all : types
    }
}

extension TeamServer {
    /// Records in the access record whom a fold opened (the wellbeing scores), as the
    /// projection, with the member and the request named.
    func recordOpenings(_ recorder: OpeningRecorder, _ types: [any Projector.Type], _ request: Request, by member: Member) throws {
        guard let reader = Projection.reader(of: types) else { return }
        _ = try recorder.record(by: reader, command: "\(request.method) \(request.uri.path) (by \(member.name))")
    }
}
