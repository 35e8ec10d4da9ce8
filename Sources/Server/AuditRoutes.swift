import Audit
import HTTPTypes
import Hummingbird
import JSON
import Ledger
import Membership
import Privacy
import Projections

/// One event, one stream, checkpoints, proofs, audit trails and bundles, and erasure: what
/// `show`, `stream`, `checkpoint`, `prove`, `audit` and `erase` ask of a team server. Each
/// answers the JSON its command prints with --format json, built by the same engine.
struct AuditRoutes {
    let server: TeamServer

    func add(to router: Router<BasicRequestContext>) {
        router.get("/v1/events/{ref}") { request, context in
            try await server.guarded(request, .readEvents) { member in try event(context.parameters.get("ref") ?? "", for: member) }
        }
        router.get("/v1/streams/{id}") { request, context in
            try await server.guarded(request, .readEvents) { _ in
                Reply.json(try server.ledger.read { try StreamHistory.json(context.parameters.get("id") ?? "", snapshot: $0) })
            }
        }
        router.get("/v1/checkpoints") { request, _ in
            try await server.guarded(request, .readCheckpoints) { _ in Reply.json(.array(try server.ledger.read(Checkpoints.list))) }
        }
        router.get("/v1/checkpoints/{size}") { request, context in
            try await server.guarded(request, .readCheckpoints) { _ in
                let text = context.parameters.get("size") ?? ""
                guard let size = UInt64(text) else { throw Refusal(.badRequest, "/v1/checkpoints/\(text): expected a tree size (a whole number)") }
                guard let note = try server.ledger.read({ try $0.checkpoints() }).first(where: { $0.size == size })?.note else {
                    throw LedgerError(.refused, "no checkpoint of size \(size) (see `buurtboek checkpoint list`)")
                }
                return Reply.bytes(Array(note.utf8), type: "text/plain; charset=utf-8")
            }
        }
        router.post("/v1/checkpoints") { request, _ in try await server.guarded(request, .signCheckpoints) { _ in try sign() } }
        router.get("/v1/proofs/inclusion") { request, _ in
            try await server.guarded(request, .readProofs) { _ in
                guard let position = try Query.uint(request, "position") else { throw Refusal(.badRequest, "?position: missing (the event's position)") }
                let size = try Query.uint(request, "size").map(Int64.init)
                return Reply.json(.object(try server.ledger.read { try Proofs.inclusion(position: Int64(position), size: size, snapshot: $0) }))
            }
        }
        router.get("/v1/proofs/consistency") { request, _ in
            try await server.guarded(request, .readProofs) { _ in
                guard let old = try Query.uint(request, "old") else { throw Refusal(.badRequest, "?old: missing (the older tree size)") }
                let new = try Query.uint(request, "new").map(Int64.init)
                return Reply.json(.object(try server.ledger.read { try Proofs.consistency(old: Int64(old), new: new, snapshot: $0) }))
            }
        }
        router.get("/v1/audit/{kind}/{id}") { request, context in
            try await server.guarded(request, .readAuditTrails) { _ in
                let trail = try self.trail(request, context)
                // Personal fields stay sealed: an auditor's role does not open them.
                return Reply.json(trail.json(corrections: try trail.corrections(in: server.ledger), personal: [:]))
            }
        }
        router.get("/v1/audit/{kind}/{id}/bundle") { request, context in
            try await server.guarded(request, .readAuditTrails) { _ in
                let trail = try self.trail(request, context)
                let kind = AuditTrail.Kind(rawValue: context.parameters.get("kind") ?? "")!
                let bundle = try AuditBundle.make(trail, kind: kind, ledger: server.ledger, sinceCheckpoint: try Query.uint(request, "since-checkpoint"))
                return Reply.bytes(bundle, type: "application/json")
            }
        }
        router.post("/v1/erasures") { request, _ in try await server.guarded(request, .eraseResidents) { admin in try await erase(request, by: admin) } }
    }

    /// The event in full. A worker's token opens its personal fields, and the opening is
    /// recorded in the access record under that worker; an auditor gets their names only.
    private func event(_ reference: String, for member: Member) throws -> Response {
        var body: [UInt8] = Array(#"{"event":"#.utf8)
        let (personal, corrections) = try server.ledger.read { snapshot -> (PersonalFields, JSONValue) in
            let position = try EventReference.position(reference, in: snapshot)
            let record = try snapshot.record(at: position)!
            EventJSON.write(position: position, record: record, leafHash: try snapshot.leafHash(at: position), into: &body)
            let opens = Permission.readPersonalData.allows(member.role)
            let personal = try PersonalFields.open(record, sealer: opens ? server.sealer : nil, snapshot: snapshot,
                                                   withheld: "personal fields are shown to workers only")
            if case .clear(_, let keyId) = personal {
                try server.sealer.keyStore.recordAccess(worker: member.name, subject: keyId,
                                                        command: "show \(position) (\(record.type), \(record.stream)) through the server")
            }
            let corrections = try CorrectionsShown.json(of: position, snapshot: snapshot, sealer: opens ? server.sealer : nil,
                                                        reader: member.name, via: " through the server")
            return (personal, corrections)
        }
        body += Array(#","personal":"#.utf8) + Array(JSONWriter.ordered(personal.json).utf8)
        body += Array(#","corrections":"#.utf8) + Array(JSONWriter.ordered(corrections).utf8) + Array("}\n".utf8)
        return Reply.bytes(body, type: "application/json")
    }

    private func trail(_ request: Request, _ context: BasicRequestContext) throws -> AuditTrail {
        let kindText = context.parameters.get("kind") ?? ""
        guard let kind = AuditTrail.Kind(rawValue: kindText) else {
            throw Refusal(.notFound, "/v1/audit/\(kindText): audit what? referral, signal or resident")
        }
        var options = AuditTrail.Options()
        options.lateAfterDays = try Query.int(request, "late-after") ?? 7
        return try AuditTrail.build(kind, id: context.parameters.get("id") ?? "", ledger: server.ledger, options: options)
    }

    /// Signs the current tree with the key the server was started with, after proving it
    /// consistent with the last checkpoint: 201 with the new note, or 200 with the last one
    /// when nothing was appended since.
    private func sign() throws -> Response {
        guard let skey = server.settings.checkpointSigner else {
            throw Refusal(.conflict, "this server has no checkpoint key: start it with --checkpoint-key FILE (made by `buurtboek key generate`)")
        }
        var headers = HTTPFields()
        switch try Checkpoints.create(server.ledger, signer: try NoteSigner(skey: skey)) {
        case .signed(let note, let checkpoint, let from):
            headers[.checkpointSize] = String(checkpoint.size)
            if let from { headers[.provenFrom] = String(from) }
            return Reply.bytes(Array(note.utf8), type: "text/plain; charset=utf-8", status: .created, headers: headers)
        case .unchanged(let note, let checkpoint):
            headers[.checkpointSize] = String(checkpoint.size)
            return Reply.bytes(Array(note.utf8), type: "text/plain; charset=utf-8", headers: headers)
        }
    }

    /// Erases the resident the body names ({"resident", "request", "legalBasis"}) as the admin.
    private func erase(_ request: Request, by admin: Member) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 4096)
        guard let object = try? JSONParser().value(Array(body.readableBytesView)).object else {
            throw Refusal(.badRequest, #"expected a JSON object: {"resident": "R000123", "request": "AVG-2024-017", "legalBasis": "gdpr_art17"}"#)
        }
        guard let resident = object["resident"]?.string else { throw Refusal(.badRequest, "/resident: missing (a resident id, e.g. R000123)") }
        guard let reference = object["request"]?.string else { throw Refusal(.badRequest, "/request: missing (the erasure request's reference)") }
        let ledgerPath = server.ledger.path
        let outcome = try ResidentErasure(ledger: server.ledger, sealer: server.sealer, erasedBy: admin.name)
            .erase(resident, request: reference, legalBasis: object["legalBasis"]?.string ?? "gdpr_art17") {
                try Projection.purgeLive(ledger: ledgerPath, residentStream: $0)
            }
        return Reply.json(outcome.json)
    }
}

extension HTTPField.Name {
    static let checkpointSize = HTTPField.Name("Buurtboek-Checkpoint-Size")!
    static let provenFrom = HTTPField.Name("Buurtboek-Proven-From")!
}
