import Catalogue
import Foundation
import JSON
import XCTest

/// Every route of Schemas/api.openapi.yaml against a running server: each answers with a
/// status the spec lists, and each JSON answer matches the spec's schema for it.
final class APISpecTests: LedgerTestCase {
    func testEveryRouteOfTheSpecAnswersAsItSays() throws {
        assertExit(try CLI.run(["key", "generate", "--origin", "buurtboek.example/api", "--out", work + "/signer"]), 0)
        let server = try ServedLedger(ledger: ledger, work: work, extra: ["--checkpoint-key", work + "/signer.key"])
        defer { server.stop() }
        // The spec is written in YAML's JSON-compatible style: the ledger's parser reads it.
        let text = try String(contentsOfFile: CLI.schemas + "/api.openapi.yaml", encoding: .utf8)
            .replacing("#/components/schemas/", with: "#/$defs/")
        let spec = try JSONParser().value(Array(text.utf8))
        let defs = try XCTUnwrap(spec["components"]?["schemas"])
        let paths = try XCTUnwrap(spec["paths"]?.object)
        var walked = 0
        for (path, item) in paths {
            for (method, operation) in item.object ?? JSONObject() {
                let example = operation["x-example"]
                let roles = (operation["x-roles"]?.array ?? []).compactMap(\.string)
                let role = example?["role"]?.string ?? roles.first
                var target = example?["path"]?.string ?? path
                if let query = example?["query"]?.string { target += "?" + query }
                var body = example?["body"]?.string.map { Data($0.utf8) }
                // A body too large to write into the spec: what another route answers.
                if let source = example?["bodyFrom"]?.string {
                    body = Data(try server.http("GET", source, token: try role.map(server.token)).body.utf8)
                }
                let isStream = path.hasSuffix("/follow")
                let answer = try server.http(method.uppercased(), target, token: try role.map(server.token), body: body,
                                             maxSeconds: isStream ? 2 : nil)
                let responses = try XCTUnwrap(operation["responses"]?.object, "\(method) \(path)")
                let listed = try XCTUnwrap(responses[String(answer.status)], "\(method) \(path) answered \(answer.status), which the spec does not list: \(answer.body)")
                XCTAssertTrue((200..<300).contains(answer.status), "\(method) \(target) as \(role ?? "nobody"): \(answer.status) \(answer.body)")
                if let schema = listed["content"]?["application/json"]?["schema"] {
                    try check(answer.body, schema, defs: defs, "\(method) \(path)")
                } else if let schema = listed["content"]?["application/x-ndjson"]?["schema"] {
                    for line in answer.body.split(separator: "\n") { try check(String(line), schema, defs: defs, "\(method) \(path)") }
                    XCTAssertFalse(answer.body.isEmpty, "\(method) \(path)")
                } else if path == "/v1/events/follow" {
                    XCTAssertTrue(answer.body.hasPrefix("id: 1\nevent: event\ndata: {"), answer.body)
                } else if isStream {
                    XCTAssertTrue(answer.body.hasPrefix("id: ") && answer.body.contains("\nevent: catchup\ndata: {\"models\":["), answer.body)
                }
                // Without a token, or with a role the route does not serve, it is refused.
                if !roles.isEmpty {
                    XCTAssertEqual(try server.http(method.uppercased(), target, token: nil, maxSeconds: 2).status, 401, "\(method) \(path)")
                    if let outsider = ServedLedger.roles.first(where: { !roles.contains($0) }) {
                        XCTAssertEqual(try server.http(method.uppercased(), target, token: try server.token(outsider), body: body, maxSeconds: 2).status, 403, "\(method) \(path)")
                    }
                }
                walked += 1
            }
        }
        XCTAssertEqual(walked, 31)
    }

    private func check(_ body: String, _ schema: JSONValue, defs: JSONValue, _ route: String) throws {
        let alternatives = schema["oneOf"]?.array ?? [schema]
        var document = JSONObject([("$defs", defs)])
        var failures: [String] = []
        for alternative in alternatives {
            for (key, value) in alternative.object ?? JSONObject() { document[key] = value }
            let compiled = try Schema.compile(.object(document), file: "api.openapi.yaml")
            let failure = try JSONParser().parse(body) { compiled.validate($0) }
            guard let failure else { return }
            failures.append("\(failure.path): \(failure.rule)")
            document = JSONObject([("$defs", defs)])
        }
        XCTFail("\(route): the answer does not match the spec (\(failures.joined(separator: "; "))): \(body.prefix(300))")
    }
}
