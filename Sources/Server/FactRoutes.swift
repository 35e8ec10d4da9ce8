import HTTPTypes
import Hummingbird
import Catalogue
import JSON
import Ledger
import Membership

/// Health, metrics, the catalogue, the counts, and the members (admin).
struct FactRoutes {
    let server: TeamServer

    func add(to router: Router<BasicRequestContext>) {
        // Unauthenticated: a load balancer and Prometheus ask without a token. They tell the
        // log's size and the request counts, nothing of its content.
        router.get("/v1/health") { _, _ in
            let size = try server.ledger.read { try $0.size() }
            return Reply.json(.object(JSONObject([("status", .string("ok")), ("events", .int(Int64(size))),
                                                  ("ledgerFormat", .int(Int64(Ledger.formatVersion)))])))
        }
        router.get("/metrics") { _, _ in
            Reply.bytes(server.metrics.exposition(), type: "text/plain; version=0.0.4")
        }
        router.get("/v1/catalogue") { request, _ in
            try await server.guarded(request, .readTypes) { _ in
                // Read again: a `catalogue update` on the server's machine may have installed another.
                let inForce = try server.ledger.refreshCatalogue()
                var headers = HTTPFields()
                headers[.buurtboekCatalogue] = String(inForce.number)
                return Reply.bytes(inForce.catalogue.bundle, type: "application/json", headers: headers)
            }
        }
        router.get("/v1/catalogue/history") { request, _ in
            try await server.guarded(request, .readTypes) { _ in
                Reply.json(.object(try server.ledger.catalogueFacts(try server.ledger.refreshCatalogue())))
            }
        }
        router.post("/v1/catalogue") { request, _ in
            try await server.guarded(request, .updateCatalogue) { admin in try await updateCatalogue(request, by: admin) }
        }
        router.get("/v1/stats") { request, _ in
            try await server.guarded(request, .readStats) { _ in try await server.scans.run { Reply.json(.object(try LedgerStats.read(server.ledger))) } }
        }
        router.get("/v1/verify") { request, _ in
            try await server.guarded(request, .verify) { _ in try await server.scans.run { Reply.json(.object(try server.ledger.verificationFacts())) } }
        }
        router.get("/v1/members") { request, _ in
            try await server.guarded(request, .manageMembers) { _ in Reply.json(.array(try server.gate.currentRoster().sorted.map(\.json))) }
        }
        router.post("/v1/members") { request, _ in
            try await server.guarded(request, .manageMembers) { admin in try await enrol(request, by: admin) }
        }
        router.post("/v1/members/{name}/revoke") { request, context in
            try await server.guarded(request, .manageMembers) { admin in
                let name = context.parameters.get("name") ?? ""
                try server.desk(for: admin).revoke(name, reason: Query.string(request, "reason"))
                return Reply.json(.object(JSONObject([("name", .string(name)), ("status", .string("revoked"))])))
            }
        }
        router.post("/v1/members/{name}/role") { request, context in
            try await server.guarded(request, .manageMembers) { admin in
                let name = context.parameters.get("name") ?? ""
                let role = try Self.role(Query.string(request, "role"))
                try server.desk(for: admin).changeRole(of: name, to: role)
                return Reply.json(.object(JSONObject([("name", .string(name)), ("role", .string(role.rawValue))])))
            }
        }
    }

    /// Installs the catalogue bundle of the body (as `catalogue update` sends it) as the one in
    /// force; the same bundle again changes nothing. Appends validated by the catalogue before
    /// are prepared again under this one (see `TeamServer.append`).
    private func updateCatalogue(_ request: Request, by admin: Member) async throws -> Response {
        let body = try await server.body(of: request)
        let catalogue: Catalogue
        do { catalogue = try Catalogue.received(bundle: Array(body.readableBytesView)) } catch {
            throw LedgerError(.refused, "\(error)")
        }
        let (number, changed) = try server.ledger.install(catalogue: catalogue)
        if changed { server.logger.notice("catalogue \(number) installed by \(admin.name) (\(catalogue.typeCount) types)") }
        return Reply.json(.object(JSONObject([("catalogue", .int(Int64(number))), ("changed", .bool(changed)),
                                              ("types", .int(Int64(catalogue.typeCount)))])))
    }

    /// Enrols the member the body names ({"name": ..., "role": ...}); answers with the token,
    /// once: only its hash is kept.
    private func enrol(_ request: Request, by admin: Member) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 4096)
        guard let object = try? JSONParser().value(Array(body.readableBytesView)).object else {
            throw Refusal(.badRequest, #"expected a JSON object: {"name": "w-joris", "role": "worker"}"#)
        }
        guard let name = object["name"]?.string else { throw Refusal(.badRequest, "/name: missing (a string)") }
        let (member, token) = try server.desk(for: admin).enrol(name, role: try Self.role(object["role"]?.string))
        var o = member.json.object!
        o["token"] = .string(token)
        return Reply.json(.object(o), status: .created)
    }

    static func role(_ text: String?) throws -> Role {
        guard let text, let role = Role(rawValue: text) else {
            throw Refusal(.badRequest, "role \(text ?? "(missing)"): expected one of \(Role.names.joined(separator: ", "))")
        }
        return role
    }
}

extension HTTPField.Name {
    static let buurtboekCatalogue = HTTPField.Name("Buurtboek-Catalogue")!
}
