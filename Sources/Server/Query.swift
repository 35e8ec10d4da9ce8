import Catalogue
import Hummingbird
import JSON
import Ledger
import TextFormats

/// The query parameters of the read routes, checked: a bad value is a 400 naming the parameter.
enum Query {
    static func events(_ request: Request, catalogue: Catalogue) throws -> EventQuery {
        if let type = string(request, "type"), catalogue.versions(of: type) == nil {
            throw Refusal(.unprocessableContent, "?type=\(type): unknown event type\(NameSuggestion.hint(type, in: catalogue.typeNames))")
        }
        var query = EventQuery()
        query.from = try uint(request, "from") ?? 1
        query.type = string(request, "type")
        query.stream = string(request, "stream")
        query.neighbourhood = string(request, "neighbourhood")
        query.sinceDay = try day(request, "since")
        query.untilDay = try day(request, "until")
        query.reverse = string(request, "reverse") == "true"
        query.current = string(request, "current") == "true"
        return query
    }

    static func string(_ request: Request, _ name: String) -> String? {
        // Hummingbird has decoded the value's %XX escapes.
        request.uri.queryParameters[Substring(name)].map { String($0) }
    }

    static func int(_ request: Request, _ name: String) throws -> Int? {
        guard let text = string(request, name) else { return nil }
        guard let value = Int(text), value >= 0 else { throw Refusal(.badRequest, "?\(name)=\(text): expected a whole number") }
        return value
    }

    /// ?name=true or ?name=false; absent is false.
    static func bool(_ request: Request, _ name: String) throws -> Bool {
        guard let text = string(request, name) else { return false }
        guard let value = Bool(text) else { throw Refusal(.badRequest, "?\(name)=\(text): expected true or false") }
        return value
    }

    static func uint(_ request: Request, _ name: String) throws -> UInt64? {
        guard let text = string(request, name) else { return nil }
        guard let value = UInt64(text) else { throw Refusal(.badRequest, "?\(name)=\(text): expected a log position (a whole number)") }
        return value
    }

    static func day(_ request: Request, _ name: String) throws -> Int? {
        guard let text = string(request, name) else { return nil }
        guard text.utf8.count == 10, let micros = RFC3339.parse(text + "T00:00:00Z") else {
            throw Refusal(.badRequest, "?\(name)=\(text): expected a day, YYYY-MM-DD")
        }
        return Calendar.day(ofMicros: micros)
    }
}
